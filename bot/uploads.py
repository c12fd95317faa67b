"""Transcripts uploaded from Discord: checked, saved under UPLOAD_DIR (one folder per show), indexed.

A file is read by the same parsers as the index before it is put in place, so a refused upload
leaves nothing behind and never replaces a good file.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bot.ingest.chapters import CHAPTERS_SUFFIX, read_chapters
from bot.ingest.chapters import MAX_BYTES as MAX_CHAPTER_BYTES
from bot.ingest.indexer import (
    _IGNORED_SUFFIXES,
    FOLDER_SIDECAR,
    MAX_FILE_BYTES,
    SIDECAR_SUFFIXES,
    IndexReport,
    _read_sidecars,
    read_document,
)
from bot.ingest.model import ParseError
from bot.ports import Catalogue
from models.episodes import EpisodeRow

DEFAULT_FOLDER = "transcripts"  # a generic name: the file's own words decide its show
NAME_CHARACTERS = 120
_UNSAFE = re.compile(r"[^\w.()' -]+")


class UploadError(ValueError):
    """An upload was refused; the message says why, for the admin."""


@dataclass(frozen=True, slots=True)
class Upload:
    """A saved and indexed upload, and the episode it is (or belongs to)."""

    path: Path
    episode: EpisodeRow | None
    warnings: str | None = None


def safe_name(name: str) -> str:
    """A file name without path parts, control or odd characters, or a leading dot; UploadError if
    nothing usable is left."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = _UNSAFE.sub("_", name).strip(" .")  # no hidden files, no `..`
    if len(name) > NAME_CHARACTERS:
        stem, dot, suffix = name.rpartition(".")
        name = f"{stem[: NAME_CHARACTERS - len(suffix) - 1]}{dot}{suffix}" if dot and len(suffix) < 12 else name[:120]
    if not name or not any(c.isalnum() for c in name):
        raise UploadError("the file name has no usable characters: rename the file and upload it again")
    return name


def show_folder(upload_dir: Path, show: str | None) -> Path:
    """The folder of a show's uploads (its name is the show's, made safe)."""
    return upload_dir / (safe_name(show) if show and show.strip() else DEFAULT_FOLDER)


def size_problem(name: str, size: int) -> str | None:
    """Why a file of this name and size is refused before it is downloaded, or None."""
    lowered = name.lower()
    if Path(lowered).suffix in _IGNORED_SUFFIXES:
        return "audio, video, images and archives are not read: upload a transcript or its sidecar"
    limit = MAX_CHAPTER_BYTES if lowered.endswith(CHAPTERS_SUFFIX) else MAX_FILE_BYTES
    if size > limit:
        return f"file too large ({size / 1_048_576:.1f} MiB; the limit is {limit // 1_048_576} MiB)"
    if size == 0:
        return "empty file"
    return None


def _check(path: Path) -> None:
    """Read a staged file the way the indexer will; ParseError says why it is refused."""
    name = path.name.lower()
    if name.endswith(CHAPTERS_SUFFIX):
        read_chapters(path)
    elif name == FOLDER_SIDECAR or name.endswith(SIDECAR_SUFFIXES):
        _, problem = _read_sidecars([path])
        if problem:
            raise ParseError(problem)
    else:
        read_document(path)


def _is_sidecar(name: str) -> bool:
    lowered = name.lower()
    return lowered == FOLDER_SIDECAR or lowered.endswith((*SIDECAR_SUFFIXES, CHAPTERS_SUFFIX))


def _place(data: bytes, target: Path, replace: bool) -> None:
    """Check `data` as the file `target` would be, then move it there; nothing is left if refused."""
    if target.exists() and not replace:
        raise UploadError(
            f"{target.parent.name}/{target.name} was uploaded before: choose `replace` to replace it,"
            " or rename the file"
        )
    target.parent.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent.parent, prefix=".incoming-") as scratch:
        staged = Path(scratch, target.name)  # in a hidden folder: never indexed
        staged.write_bytes(data)
        try:
            _check(staged)
        except ParseError as error:
            raise UploadError(str(error)) from error
        target.parent.mkdir(exist_ok=True)
        os.replace(staged, target)


async def receive(
    store: Catalogue,
    index: Callable[[list[Path]], Awaitable[IndexReport]],
    upload_dir: Path,
    *,
    filename: str,
    size: int,
    read: Callable[[], Awaitable[bytes]],
    show: str | None = None,
    replace: bool = False,
) -> Upload:
    """Check, download, save and index one uploaded file; UploadError (nothing kept) if refused."""
    name = safe_name(filename)
    problem = size_problem(name, size)
    if problem:
        raise UploadError(problem)
    target = show_folder(upload_dir, show) / name
    data = await read()
    problem = size_problem(name, len(data))  # the size Discord declared is checked again
    if problem:
        raise UploadError(problem)
    await asyncio.to_thread(_place, data, target, replace)
    report = await index([target.parent])
    return await asyncio.to_thread(_outcome, target, report, await store.list_episodes())


def _outcome(target: Path, report: IndexReport, episodes: list[EpisodeRow]) -> Upload:
    """The episode the upload is (for a sidecar: the one it goes with), and the index's remarks on it."""
    target = target.resolve()
    warnings = "; ".join(r.reason for r in report.rejects if Path(r.path).resolve() == target) or None
    stem = target.name.split(".")[0]
    for episode in episodes:
        path = Path(episode.source).resolve()
        if path == target or (
            _is_sidecar(target.name)
            and path.parent == target.parent
            and (target.name == FOLDER_SIDECAR or path.name.split(".")[0] == stem)
        ):
            return Upload(target, episode, warnings)
    return Upload(target, None, warnings)
