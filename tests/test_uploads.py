"""Uploads: safe names, checks before anything is kept, indexing at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import uploads
from bot.ingest.indexer import MAX_FILE_BYTES, index_paths
from storage import Store
from tests.feed_server import chapters_json, vtt


@pytest.mark.parametrize(
    ("given", "saved"),
    [
        ("episode 12.vtt", "episode 12.vtt"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\show.srt", "show.srt"),
        (".hidden.vtt", "hidden.vtt"),
        ("...vtt", "vtt"),
        ("we;rd|na<me>.txt", "we_rd_na_me_.txt"),
        ("x" * 300 + ".vtt", "x" * 116 + ".vtt"),
    ],
)
def test_a_file_name_loses_its_path_and_hidden_dot(given: str, saved: str) -> None:
    assert uploads.safe_name(given) == saved


@pytest.mark.parametrize("given", ["", "..", "/", "...", "__"])
def test_a_name_with_nothing_left_is_refused(given: str) -> None:
    with pytest.raises(uploads.UploadError, match="no usable characters"):
        uploads.safe_name(given)


def test_size_and_kind_are_checked_before_download() -> None:
    assert uploads.size_problem("a.vtt", MAX_FILE_BYTES + 1).startswith("file too large")
    assert uploads.size_problem("a.chapters.json", 2_000_000).startswith("file too large")
    assert "audio" in uploads.size_problem("a.mp3", 10)
    assert uploads.size_problem("a.vtt", 0) == "empty file"
    assert uploads.size_problem("a.vtt", 1000) is None


async def receive(store: Store, folder: Path, name: str, data: bytes, **options: object) -> uploads.Upload:
    async def read() -> bytes:
        return data

    async def index(paths: list[Path]):
        return await index_paths(store, paths)

    return await uploads.receive(store, index, folder, filename=name, size=len(data), read=read, **options)


async def test_an_upload_is_indexed_and_a_refused_one_leaves_nothing(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "uploads"
    done = await receive(store, folder, "ep1.vtt", vtt("Seagulls are loud in the morning.").encode(), show="Gull Talk")
    assert done.episode is not None and done.episode.show == "Gull Talk"
    assert done.path == (folder / "Gull Talk" / "ep1.vtt").resolve()

    with pytest.raises(uploads.UploadError, match="no timestamps"):
        await receive(store, folder, "notes.txt", b"just some words\n", show="Other Show")
    assert sorted(p.name for p in folder.iterdir()) == ["Gull Talk"]  # no folder, no staging left behind

    with pytest.raises(uploads.UploadError, match="uploaded before"):
        await receive(store, folder, "ep1.vtt", vtt("A second take.").encode(), show="Gull Talk")
    with pytest.raises(uploads.UploadError, match="no timestamps"):
        await receive(store, folder, "ep1.vtt", b"garbage\n", show="Gull Talk", replace=True)
    assert b"Seagulls" in (folder / "Gull Talk" / "ep1.vtt").read_bytes()  # the good file stays

    chapters = chapters_json((0, "Intro"), (3, "Gulls")).encode()
    sidecar = await receive(store, folder, "ep1.chapters.json", chapters, show="Gull Talk")
    assert sidecar.episode is not None and sidecar.episode.id
    assert await store.chapters_of(sidecar.episode.id) == [(0.0, "Intro"), (3.0, "Gulls")]
    with pytest.raises(uploads.UploadError, match="chapters file"):
        await receive(store, folder, "ep2.chapters.json", b"{}", show="Gull Talk")
