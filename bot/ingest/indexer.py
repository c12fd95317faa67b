"""Index folders of transcripts: find files, skip unchanged ones, parse the rest, store atomically."""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import ctypes
import hashlib
import logging
import multiprocessing
import os
import re
import signal
import sqlite3
import stat
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.ingest.chapters import CHAPTERS_SUFFIX, read_chapters
from bot.ingest.decode import decode_text
from bot.ingest.linking import relink
from bot.ingest.metadata import folder_show_name, parse_date, parse_duration
from bot.ingest.model import Metadata, ParsedDocument, ParsedEpisode, ParseError
from bot.ingest.parse import parse_document
from bot.ingest.values import (
    checked_episode,
    checked_int,
    checked_text,
    checked_url,
    describe_os_error,
    is_utf8_name,
    load_json,
    load_yaml,
    printable,
    read_regular,
)
from bot.ports import IndexStore
from bot.semantic.embedder import DEFAULT, Default, Embedder, default_embedder
from bot.semantic.passages import embed_pending
from models.episodes import EpisodeFacts, EpisodeRecord, SourceRecord
from models.jobs import Embedding
from models.shapes import fields_of

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
MAX_FILE_BYTES = 16 * 1024 * 1024  # four times the largest real file seen (a 4 MB feed); a 15 MB line peaks ~350 MB
MAX_LINES = 500_000  # a three-hour caption file has ~25k; a million tiny cues would take ~600 MB to parse
PARSE_AHEAD = 64  # groups handed to the workers ahead of the writer, so neither waits for the other
BATCH_SEGMENTS = 50_000  # files written per transaction: each file stays all-or-nothing, commits are fewer
# Segments written between merges of the text index's b-trees (and once at the end): a reindex leaves
# each old version and the deletion that hides it in the index until a merge, so without one searches
# during a full reindex of 1M segments read ~3x the pages (an unranked query 2.8 -> 57 ms).
MERGE_SEGMENTS = 200_000
SIDECAR_SUFFIXES = (".meta.yaml", ".meta.yml", ".meta.json")
FOLDER_SIDECAR = "rewind.meta.yaml"
_IGNORED_SUFFIXES = frozenset(
    [
        ".mp3",
        ".m4a",
        ".wav",
        ".ogg",
        ".opus",
        ".flac",
        ".aac",
        ".mp4",
        ".mkv",
        ".webm",
        ".mov",
        ".avi",
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".webp",
        ".pdf",
        ".zip",
        ".gz",
        ".tar",
        ".db",
        ".sqlite",
        ".sqlite3",
        ".pyc",
        ".so",
    ]
)
# What SQLite refuses to bind or store (an int past 64 bits, text that is not UTF-8): never a full disk or a lock.
_UNSTORABLE = (OverflowError, UnicodeEncodeError, sqlite3.InterfaceError, sqlite3.IntegrityError)
_TWIN_SUFFIX = re.compile(r"[._-](?:small|large|medium|tiny|base|original|youtube|en)$", re.IGNORECASE)
_SIDECAR_KEYS = frozenset(["show", "number", "title", "published", "date", "url", "duration", "description"])
_TEXT_KEYS = ("show", "title", "description")
MAX_SIDECAR_BYTES = 256 * 1024  # a sidecar is a few lines; its description at most a page of show notes


@dataclass(frozen=True, slots=True)
class InputFile:
    """A file to index: its resolved path and the path as the operator wrote it."""

    path: Path
    shown: str


@dataclass(frozen=True, slots=True)
class FileGroup:
    """Files that may hold the same episode (`x.txt` and `x.vtt`) and the sidecars that apply to them."""

    files: tuple[InputFile, ...]
    sidecars: tuple[Path, ...]
    digest: str = ""


@dataclass(frozen=True, slots=True)
class Reject:
    """A file that could not be indexed, and why."""

    path: str
    reason: str


@dataclass(slots=True)
class IndexReport:
    """What an index run did."""

    files: int = 0
    indexed: int = 0
    unchanged: int = 0
    twins: int = 0
    removed: int = 0
    episodes: int = 0
    segments: int = 0
    seconds: float = 0.0
    store_seconds: float = 0.0  # of `seconds`, the time spent writing to the database
    rejects: list[Reject] = field(default_factory=list)
    warnings: list[Reject] = field(default_factory=list)  # indexed, but something in or beside it was ignored
    passages: int = 0  # passages embedded for search by meaning
    embedding: Embedding | None = None  # while the passages are embedded, the last phase

    def as_json(self) -> dict[str, object]:
        """The public JSON shape of `rewind index --json`."""
        return fields_of(self, "files", "indexed", "unchanged", "twins", "removed", "episodes", "segments") | {
            "seconds": round(self.seconds, 3),
            "store_seconds": round(self.store_seconds, 3),
            "passages": self.passages,
            "rejected": [{"path": r.path, "reason": r.reason} for r in self.rejects],
            "warnings": [{"path": w.path, "reason": w.reason} for w in self.warnings],
        }


@dataclass(frozen=True, slots=True)
class GroupOutcome:
    """A parsed group: one record per file and the episodes to store."""

    records: tuple[SourceRecord, ...]
    episodes: tuple[EpisodeRecord, ...]
    kept: tuple[SourceRecord, ...] = ()  # rejected now, but their last good version stays indexed


Progress = Callable[[int, int, IndexReport], None]


async def index_paths(
    store: IndexStore,
    paths: Sequence[Path | str],
    *,
    workers: int = 0,
    progress: Progress | None = None,
    full: bool = False,
    embedder: Embedder | Default | None = DEFAULT,
) -> IndexReport:
    """Index files and folders into `store`; unchanged files are skipped (unless `full`), each
    change is atomic; new passages are embedded by `embedder` (None: not now)."""
    started = time.perf_counter()
    report = IndexReport()
    listing = await asyncio.to_thread(collect_files, paths)
    files = listing.files
    groups, refused = await asyncio.to_thread(group_files, files, listing.roots)
    report.rejects.extend([*listing.unreadable, *refused])
    for problem in (*listing.unreadable, *refused):
        log.warning("rejected %s: %s", problem.path, problem.reason)
    known = await store.source_hashes()
    indexed_before = await store.indexed_paths()
    report.files = len(files)
    pending = []
    for group in groups:
        if not full and all(known.get(str(f.path)) == group.digest for f in group.files):
            report.unchanged += len(group.files)
        else:
            pending.append(group)
    seen = {str(f.path) for f in files}
    # A file under a folder that could not be listed is not gone: it keeps its episodes.
    gone = [
        path
        for path in known
        if path not in seen
        and any(_is_within(path, root) for root in listing.roots)
        and not any(_is_within(path, folder) for folder in listing.hidden)
    ]
    await store.remove_sources(gone)
    report.removed = len(gone)
    done = report.unchanged
    batch: list[GroupOutcome] = []
    batched = 0  # segments in `batch`, counted as they come (summing the batch each time was quadratic)
    merged = 0  # report.segments when the text index was last merged
    async for outcome in _parse_all(pending, workers):
        batch.append(outcome)
        batched += sum(len(e.segments) for e in outcome.episodes)
        done += len(outcome.records)
        if batched >= BATCH_SEGMENTS or done == report.files:
            await _write(store, batch, report, indexed_before)
            batch, batched = [], 0
            if report.segments - merged >= MERGE_SEGMENTS and done < report.files:  # the last merge is below
                writing = time.perf_counter()
                await store.merge_index()
                report.store_seconds += time.perf_counter() - writing
                merged = report.segments
        if progress:
            progress(done, report.files, report)
    if batch:
        await _write(store, batch, report, indexed_before)
    if pending or gone:
        writing = time.perf_counter()
        await relink(store)
        await store.optimize()
        report.store_seconds += time.perf_counter() - writing
    report.passages = await _embed(store, report, progress, embedder)
    report.seconds = time.perf_counter() - started
    return report


async def _embed(
    store: IndexStore, report: IndexReport, progress: Progress | None, embedder: Embedder | Default | None
) -> int:
    """Embed the new passages for search by meaning (the long phase), telling `progress`."""
    started = time.perf_counter()
    embedder = default_embedder() if isinstance(embedder, Default) else embedder

    def embedded(done: int, total: int) -> None:
        report.embedding = Embedding(done, total, time.perf_counter() - started)
        if progress:
            progress(report.files, report.files, report)

    try:
        return await embed_pending(store, embedder, embedded)
    finally:
        report.embedding = None


async def _write(store: IndexStore, batch: list[GroupOutcome], report: IndexReport, indexed_before: set[str]) -> None:
    """Store a batch of parsed groups in one transaction and account for it in the report."""
    batch = [_keep_last_good(outcome, indexed_before) for outcome in batch]
    writing = time.perf_counter()
    try:
        report.segments += await store.replace_sources([(o.records, o.episodes) for o in batch])
    except _UNSTORABLE:  # a value SQLite refuses: write the groups one by one, refusing only that one
        batch = [await _write_alone(store, outcome, report) for outcome in batch]
    report.store_seconds += time.perf_counter() - writing
    for outcome in batch:
        report.episodes += len(outcome.episodes)
        for record in outcome.records:
            if record.status == "rejected":
                report.rejects.append(Reject(record.shown_path, record.detail or "unreadable"))
                log.warning("rejected %s: %s", record.shown_path, record.detail)
            elif record.status == "twin":
                report.twins += 1
            else:
                report.indexed += 1
                if record.detail:  # an ignored sidecar, skipped cues: indexed, but the operator should know
                    report.warnings.append(Reject(record.shown_path, record.detail))
                    log.warning("%s: %s", record.shown_path, record.detail)
        for kept in outcome.kept:
            reason = f"{kept.detail or 'unreadable'}; its last good version stays indexed"
            report.rejects.append(Reject(kept.shown_path, reason))
            log.warning("rejected %s: %s", kept.shown_path, reason)


async def _write_alone(store: IndexStore, outcome: GroupOutcome, report: IndexReport) -> GroupOutcome:
    try:
        report.segments += await store.replace_sources([(outcome.records, outcome.episodes)])
        return outcome
    except _UNSTORABLE as error:
        reason = printable(f"could not be stored ({type(error).__name__}: {error})")
        records = tuple(replace(r, status="rejected", format=None, detail=reason) for r in outcome.records)
        await store.replace_sources([(records, ())])
        return GroupOutcome(records, ())


def _keep_last_good(outcome: GroupOutcome, indexed_before: set[str]) -> GroupOutcome:
    """A file that was indexed and now cannot be read keeps its last good episodes: its record is
    left out of the write (so its old rows stay, and its old hash makes the next run retry it),
    unless another file of its group now stands in for it."""
    if any(record.status == "indexed" for record in outcome.records):
        return outcome
    kept = tuple(r for r in outcome.records if r.status == "rejected" and r.path in indexed_before)
    if not kept:
        return outcome
    records = tuple(r for r in outcome.records if r not in kept)
    return GroupOutcome(records, outcome.episodes, kept)


async def _parse_all(groups: list[FileGroup], workers: int) -> AsyncIterator[GroupOutcome]:
    """Parse groups off the event loop, in worker processes when asked, yielding in order."""
    if workers <= 0:
        for group in groups:
            yield await asyncio.to_thread(parse_group, group)
        return
    loop = asyncio.get_running_loop()
    pool = parse_pool(workers)
    try:
        window = PARSE_AHEAD
        # a deque, not a list: a finished future leaves it, so each outcome is freed once written
        # (a list kept every parsed segment until the end: 75 MB a 250k segments, and ever longer
        # garbage collections pausing the event loop)
        futures = collections.deque(loop.run_in_executor(pool, parse_group, group) for group in groups[:window])
        for index in range(len(groups)):
            outcome = await futures.popleft()
            if index + window < len(groups):
                futures.append(loop.run_in_executor(pool, parse_group, groups[index + window]))
            yield outcome
    finally:  # never wait for the workers on the event loop, even when the run is cancelled
        pool.shutdown(wait=False, cancel_futures=True)


def parse_pool(workers: int) -> concurrent.futures.ProcessPoolExecutor:
    """Worker processes for parsing, which exit when the process that started them dies."""
    context = multiprocessing.get_context("spawn")
    return concurrent.futures.ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_die_with_parent, initargs=(os.getpid(),)
    )


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this worker when its parent dies, even by SIGKILL (else it runs forever)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


@dataclass(frozen=True, slots=True)
class Listing:
    """The files to index, the folders walked, and what was found but could not be listed or read."""

    files: list[InputFile]
    roots: list[Path]
    unreadable: list[Reject]
    hidden: list[Path]  # the unreadable folders, resolved: what was under them is not gone


def collect_files(paths: Sequence[Path | str]) -> Listing:
    """List the files under `paths` (recursively, sorted), and the folders that were walked.

    Nothing outside the given paths is read: a symlink is followed only when it resolves inside a
    given folder (links to folders never are: what they hold is walked anyway, or is outside), and
    a link that points elsewhere, a link loop or a name that is not UTF-8 is reported instead."""
    files: dict[Path, InputFile] = {}
    roots: list[Path] = []
    unreadable: list[Reject] = []
    hidden: list[Path] = []

    def note_unreadable(error: OSError) -> None:
        unreadable.append(reject(str(error.filename), f"cannot read folder: {describe_os_error(error)}"))
        hidden.append(Path(error.filename).resolve())

    given_files, given_folders = [], []
    for given in paths:
        given_path = Path(given)
        if _kind(given_path) == "folder":
            given_folders.append(given_path)
            roots.append(given_path.resolve())
        else:  # a file named by the operator is read even through a link; a missing one is reported
            given_files.append(given_path)
    for given_path in given_files:
        item = _given_file(given_path)
        if isinstance(item, Reject):
            unreadable.append(item)
        else:
            files.setdefault(item.path, item)
    for given_folder in given_folders:
        for folder, subfolders, names in os.walk(given_folder, onerror=note_unreadable):
            subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
            for name in subfolders:
                if (problem := _linked_folder_problem(Path(folder, name), roots)) is not None:
                    unreadable.append(problem)
            for name in sorted(names):
                candidate = Path(folder, name)
                if not _is_transcript_candidate(candidate):
                    continue
                item = _walked_file(candidate, roots)
                if isinstance(item, Reject):
                    unreadable.append(item)
                else:
                    files.setdefault(item.path, item)
    return Listing(list(files.values()), roots, unreadable, hidden)


def _kind(path: Path) -> str:
    """`folder`, `file` or `missing`, never raising (a name too long, a loop)."""
    try:
        return "folder" if path.is_dir() else "file"
    except (OSError, RuntimeError):
        return "missing"


def _given_file(path: Path) -> InputFile | Reject:
    shown = printable(str(path))
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):
        return Reject(shown, "a symlink loop: not followed")
    if not is_utf8_name(str(resolved)):
        return Reject(shown, "the file name is not valid UTF-8: rename it")
    return InputFile(resolved, shown)


def _walked_file(candidate: Path, roots: Sequence[Path]) -> InputFile | Reject:
    shown = printable(str(candidate))
    if not is_utf8_name(str(candidate)):
        return Reject(shown, "the file name is not valid UTF-8: rename it")
    resolved = _inside(candidate, roots)
    if isinstance(resolved, str):
        return Reject(shown, resolved)
    return InputFile(resolved, shown)


def _inside(path: Path, roots: Sequence[Path]) -> Path | str:
    """The real path of `path` when it lies inside one of `roots`, else why it is not read."""
    try:
        resolved = path.resolve(strict=True)
    except RuntimeError:
        return "a symlink loop: not followed"
    except OSError as error:
        return f"a broken symlink: {describe_os_error(error)}" if path.is_symlink() else describe_os_error(error)
    if not any(resolved.is_relative_to(root) for root in roots):
        return "a symlink to a file outside the configured folders: not read"
    return resolved


def _linked_folder_problem(path: Path, roots: Sequence[Path]) -> Reject | None:
    if not path.is_symlink():
        return None
    where = _inside(path, roots)
    if isinstance(where, Path):
        return None  # inside a configured folder: walked there already
    reason = "a symlink to a folder outside the configured folders: not followed" if "outside" in where else where
    return Reject(printable(str(path)), reason)


def reject(path: str, reason: str) -> Reject:
    """A rejected file, its name and reason escaped for terminals and logs."""
    return Reject(printable(path), printable(reason))


def _is_transcript_candidate(path: Path) -> bool:
    name = path.name.lower()
    return not (
        name.startswith(".")
        or name == FOLDER_SIDECAR
        or name.endswith((*SIDECAR_SUFFIXES, CHAPTERS_SUFFIX))
        or name.endswith(("-wal", "-shm", "-journal"))  # SQLite's companions of a database kept here
        or path.suffix.lower() in _IGNORED_SUFFIXES
    )


def _is_within(path: str, root: Path) -> bool:
    return Path(path).is_relative_to(root)


def twin_key(path: Path) -> tuple[Path, str]:
    """Files with the same key may be one episode in two formats or two caption qualities."""
    stem = path.name.split(".")[0]
    return path.parent, _TWIN_SUFFIX.sub("", stem).casefold()


def group_files(files: Sequence[InputFile], roots: Sequence[Path] = ()) -> tuple[list[FileGroup], list[Reject]]:
    """Group possible twins together and fingerprint each group with its sidecars. A sidecar is
    used only when it is a regular file inside a configured folder; a link elsewhere is reported."""
    grouped: dict[tuple[Path, str], list[InputFile]] = {}
    for item in files:
        grouped.setdefault(twin_key(item.path), []).append(item)
    groups, refused = [], {}
    for (folder, stem), members in grouped.items():
        sidecars = []
        for path in _sidecar_paths(folder, stem, members):
            usable = _usable_sidecar(path, roots)
            if isinstance(usable, Reject):
                refused[usable.path] = usable
            elif usable:
                sidecars.append(path)
        digest = hashlib.blake2b(digest_size=16)
        for part in (*[m.path for m in members], *sidecars):
            digest.update(str(part).encode())
            digest.update(_file_digest(part))
        groups.append(FileGroup(tuple(members), tuple(sidecars), digest.hexdigest()))
    return groups, list(refused.values())


def _sidecar_paths(folder: Path, stem: str, members: Sequence[InputFile]) -> list[Path]:
    stems = {stem} | {m.path.name.split(".")[0] for m in members}
    suffixes = (*SIDECAR_SUFFIXES, CHAPTERS_SUFFIX)
    return [folder / FOLDER_SIDECAR] + [folder / f"{s}{suffix}" for s in sorted(stems) for suffix in suffixes]


def _usable_sidecar(path: Path, roots: Sequence[Path]) -> bool | Reject:
    try:  # a derived name can be too long for the file system: then there is no such sidecar
        info = path.lstat()
    except OSError:
        return False
    if stat.S_ISLNK(info.st_mode) and roots:
        where = _inside(path, roots)
        if isinstance(where, str):
            return Reject(printable(str(path)), where)
        return where.is_file()
    return path.is_file()


def _file_digest(path: Path) -> bytes:
    """The file's content hash; a special file is never opened (a FIFO would block)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return f"special:{info.st_mode}".encode()
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(descriptor, "rb") as handle:
            return hashlib.file_digest(handle, "blake2b").digest()
    except OSError as error:
        return f"unreadable:{error.errno}".encode()


def parse_group(group: FileGroup) -> GroupOutcome:
    """Parse a group's files, keep the best of identical twins, apply sidecars. Never raises: this is
    the one boundary where anything a file holds becomes a `rejected` record with the reason."""
    try:
        return _parse_group(group)
    except Exception as error:  # a parser's own bug must cost one file, not the run
        log.debug("parsing %s failed", [f.shown for f in group.files], exc_info=True)
        reason = unexpected(error)
        return GroupOutcome(tuple(_record(group, item, "rejected", detail=reason) for item in group.files), ())


def unexpected(error: BaseException) -> str:
    """An error nobody foresaw, as a reason an operator can report."""
    return printable(f"could not be read ({type(error).__name__}: {str(error)[:300]})")


def _parse_group(group: FileGroup) -> GroupOutcome:
    chapter_files = [p for p in group.sidecars if p.name.endswith(CHAPTERS_SUFFIX)]
    overrides, sidecar_problem = _read_sidecars([p for p in group.sidecars if p not in chapter_files])
    chapters, chapters_problem = _read_chapter_files(chapter_files)
    sidecar_problem = "; ".join(p for p in (sidecar_problem, chapters_problem) if p) or None
    parsed: list[tuple[InputFile, ParsedDocument]] = []
    records: dict[Path, SourceRecord] = {}
    for item in group.files:
        try:
            parsed.append((item, read_document(item.path)))
        except ParseError as error:
            records[item.path] = _record(group, item, "rejected", detail=str(error))
    kept = _drop_twins(parsed, records, group)
    episodes = []
    for item, document in kept:
        marks = chapters if len(document.episodes) == 1 else ()  # a feed's items have no one chapter list
        stored = []
        warnings = [*document.warnings, *([sidecar_problem] if sidecar_problem else [])]
        for episode in document.episodes:
            checked, problems = checked_episode(_apply_overrides(episode, overrides))
            record = episode_record(checked, item.path, document.format)
            stored.append(replace(record, facts=replace(record.facts, chapters=marks or checked.chapters)))
            warnings += [p for p in problems if p not in warnings]
        records[item.path] = _record(group, item, "indexed", document.format, "; ".join(warnings) or None)
        episodes += stored
    ordered = tuple(records[item.path] for item in group.files)
    return GroupOutcome(ordered, tuple(episodes))


def read_document(path: Path) -> ParsedDocument:
    """Read, decode and parse one file; ParseError says why it is no transcript. Only a regular
    file is read, and any error a parser raises becomes a ParseError naming it."""
    data = read_regular(path, MAX_FILE_BYTES)
    if not data.strip():
        raise ParseError("empty file")
    text = decode_text(data)
    lines = text.count("\n")
    if lines > MAX_LINES:
        raise ParseError(f"too many lines ({lines:,}; the limit is {MAX_LINES:,})")
    try:
        return parse_document(text, path)
    except ParseError:
        raise
    except (ValueError, RecursionError, UnicodeError, OverflowError) as error:  # input a parser did not expect
        raise ParseError(printable(f"malformed content ({type(error).__name__}: {str(error)[:300]})")) from error
    except Exception as error:
        raise ParseError(unexpected(error)) from error


def _record(
    group: FileGroup, item: InputFile, status: str, format_name: str | None = None, detail: str | None = None
) -> SourceRecord:
    return SourceRecord(str(item.path), item.shown, group.digest, status, format_name, detail)


def _drop_twins(
    parsed: list[tuple[InputFile, ParsedDocument]], records: dict[Path, SourceRecord], group: FileGroup
) -> list[tuple[InputFile, ParsedDocument]]:
    """Keep one document per episode among files whose words mostly agree."""
    kept: list[tuple[InputFile, ParsedDocument]] = []
    for item, document in sorted(parsed, key=lambda pair: _richness(pair[1]), reverse=True):
        primary = next((k for k in kept if _same_words(k[1], document)), None)
        if primary is None:
            kept.append((item, document))
        else:
            records[item.path] = _record(group, item, "twin", document.format, f"same episode as {primary[0].shown}")
    return sorted(kept, key=lambda pair: pair[0].shown)


def _richness(document: ParsedDocument) -> tuple[float, int]:
    segments = [s for e in document.episodes for s in e.segments]
    timed = sum(1 for s in segments if s.start is not None and s.end is not None)
    speakers = sum(1 for s in segments if s.speaker)
    return ((timed + speakers) / max(1, len(segments)), sum(len(s.text) for s in segments))


def _vocabulary(document: ParsedDocument) -> set[str]:
    words = " ".join(s.text for e in document.episodes[:1] for s in e.segments[:400]).casefold().split()
    return set(words)


def _same_words(first: ParsedDocument, second: ParsedDocument) -> bool:
    if len(first.episodes) != 1 or len(second.episodes) != 1:
        return False
    a, b = _vocabulary(first), _vocabulary(second)
    return bool(a and b) and len(a & b) / len(a | b) >= 0.5


def _read_chapter_files(paths: Sequence[Path]) -> tuple[tuple[tuple[float, str], ...], str | None]:
    """The first readable chapters file's marks, and what was wrong with any that was not."""
    for path in paths:
        try:
            return read_chapters(path), None
        except ParseError as error:
            return (), f"{error}; ignored"
    return (), None


def _read_sidecars(paths: Sequence[Path]) -> tuple[Metadata, str | None]:
    merged = Metadata()
    problems = []
    for path in paths:  # the folder-wide file comes first, so a file's own sidecar wins
        name = printable(path.name)
        try:
            text = read_regular(path, MAX_SIDECAR_BYTES).decode("utf-8-sig")
            data = load_json(text) if path.suffix.lower() == ".json" else load_yaml(text)
        except (ParseError, UnicodeError) as error:
            return merged, f"sidecar {name} ignored: {printable(str(error))}"
        if not isinstance(data, dict) or not set(data) <= _SIDECAR_KEYS:
            unknown = sorted(map(str, set(data) - _SIDECAR_KEYS)) if isinstance(data, dict) else "not a mapping"
            return merged, printable(f"sidecar {name} ignored: unknown keys {unknown}")
        metadata, bad = _sidecar_metadata(data)
        problems += [f"sidecar {name}: {printable(problem)} ignored" for problem in bad]
        merged = metadata.merged_over(merged)
    return merged, "; ".join(problems) or None


def _sidecar_metadata(data: dict[str, object]) -> tuple[Metadata, list[str]]:
    """The sidecar's facts, each checked into its range, and the values that were not."""
    bad = []

    def checked(key: str, value: object, check: Callable[[object], object]) -> object:
        if value is None or value == "":
            return None
        result = check(value)
        if result is None:
            bad.append(f"{key} {str(value)[:40]!r}")
        return result

    text = {key: checked_text(str(data[key])) if data.get(key) not in (None, "") else None for key in _TEXT_KEYS}
    published = data.get("published") or data.get("date")
    return Metadata(
        show=text["show"],
        number=checked("number", data.get("number"), checked_int),
        title=text["title"],
        published=checked("published", published, parse_date),
        duration=checked("duration", data.get("duration"), parse_duration),
        url=checked("url", data.get("url"), checked_url),
        description=text["description"],
    ), bad


def _apply_overrides(episode: ParsedEpisode, overrides: Metadata) -> ParsedEpisode:
    if overrides == Metadata() or episode.from_listing:
        return episode
    return replace(
        episode,
        meta=overrides.merged_over(episode.meta),
        show_origin="explicit" if overrides.show else episode.show_origin,
        title_origin="explicit" if overrides.title else episode.title_origin,
        published_origin="explicit" if overrides.published else episode.published_origin,
    )


def episode_record(episode: ParsedEpisode, path: Path, format_name: str) -> EpisodeRecord:
    """What the store writes for one parsed episode."""
    speakers = sorted({s.speaker for s in episode.segments if s.speaker}) if episode.real_speakers else []
    return EpisodeRecord(
        source_path=str(path),
        item_key=episode.key,
        format=format_name,
        facts=episode_facts(episode, path),
        speakers=tuple(speakers),
        segments=[(s.start, s.end, s.speaker, s.text) for s in episode.segments],
    )


def episode_facts(episode: ParsedEpisode, path: Path) -> EpisodeFacts:
    """The facts the store keeps of one parsed episode."""
    meta = episode.meta
    opening = " ".join(s.text for s in episode.segments[:40])[:2000]
    return EpisodeFacts(
        show=meta.show,
        show_origin=episode.show_origin,
        number=meta.number,
        title=meta.title,
        title_origin=episode.title_origin,
        published=meta.published.isoformat() if meta.published else None,
        published_partial=None if meta.published else meta.published_partial,
        duration=meta.duration,
        url=meta.url,
        description=meta.description,
        from_listing=episode.from_listing,
        opening=opening,
        published_origin=episode.published_origin,
        folder=str(path.parent),
        folder_show=folder_show_name(path.parent),
    )
