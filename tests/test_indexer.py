import os
from pathlib import Path

import pytest

from bot.ingest import indexer
from bot.ingest.indexer import index_paths
from bot.ingest.model import ParseError
from models.search import SegmentFilter, TermQuery
from storage import Store
from tests.conftest import SAMPLE, write

SRT = "1\n00:00:01,000 --> 00:00:03,000\nWe shipped the {word} release on Friday.\n\n"
TXT = "00:00:01 We shipped the {word} release on Friday.\n\n00:00:05 Then we slept.\n"


async def fts_in_step(store: Store) -> None:
    await store._db.execute("INSERT INTO segments_fts(segments_fts, rank) VALUES ('integrity-check', 1)")


async def test_sample_folder_indexes_and_joins_the_feed(store: Store) -> None:
    report = await index_paths(store, [SAMPLE])
    assert report.rejects == []
    episodes = {e.number: e for e in await store.list_episodes()}
    assert set(episodes) == {1, 2}
    first = episodes[1]
    assert (first.show, first.title, first.published) == ("Rewind Radio", "Shipping software", "2021-02-24")
    assert first.url == "https://example.org/audio/rewind-radio-1.mp3"
    assert first.speakers == ["Ana Lopes", "Sam Okafor"]
    assert first.segments > 0
    await fts_in_step(store)


async def test_reindexing_unchanged_files_skips_them(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "show"
    write(folder, "ep-1-launch.srt", SRT.format(word="first"))
    await index_paths(store, [folder])
    before = await store.list_episodes()
    again = await index_paths(store, [folder])
    assert (again.unchanged, again.indexed, again.episodes) == (1, 0, 0)
    assert await store.list_episodes() == before


async def test_a_changed_file_replaces_its_segments(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "show"
    path = write(folder, "ep-1-launch.srt", SRT.format(word="first"))
    await index_paths(store, [folder])
    path.write_text(SRT.format(word="second"), encoding="utf-8")
    report = await index_paths(store, [folder])
    assert report.indexed == 1
    assert await store.candidates(TermQuery((("first",),)), SegmentFilter(), 5) == []
    assert len(await store.candidates(TermQuery((("second",),)), SegmentFilter(), 5)) == 1
    assert len(await store.list_episodes()) == 1
    await fts_in_step(store)


async def test_a_deleted_file_leaves_the_index(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "show"
    path = write(folder, "ep-1-launch.srt", SRT.format(word="first"))
    write(folder, "ep-2-later.srt", SRT.format(word="later"))
    await index_paths(store, [folder])
    path.unlink()
    report = await index_paths(store, [folder])
    assert report.removed == 1
    assert [e.title for e in await store.list_episodes()] == ["Later"]
    await fts_in_step(store)


async def test_one_transcript_in_two_formats_is_one_episode(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "show"
    write(folder, "7-launch.srt", SRT.format(word="first"))
    write(folder, "7-launch.txt", TXT.format(word="first"))
    report = await index_paths(store, [folder])
    assert report.twins == 1
    (episode,) = await store.list_episodes()
    assert episode.number == 7
    assert len(await store.candidates(TermQuery((("shipped",),)), SegmentFilter(), 5)) == 1


async def test_same_name_different_words_are_two_episodes(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "show"
    write(folder, "example.srt", SRT.format(word="first"))
    write(folder, "example.txt", "00:00:01 Entirely unrelated chatter about gardening.\n")
    report = await index_paths(store, [folder])
    assert report.twins == 0
    assert len(await store.list_episodes()) == 2


async def test_a_sidecar_overrides_the_document(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "show"
    write(folder, "ep-1-launch.srt", SRT.format(word="first"))
    write(folder, "rewind.meta.yaml", "show: Folder Show\n")
    write(folder, "ep-1-launch.meta.yaml", "title: The Launch\npublished: 2024-02-29\nurl: https://youtu.be/x\n")
    await index_paths(store, [folder])
    (episode,) = await store.list_episodes()
    assert (episode.show, episode.title, episode.published, episode.url) == (
        "Folder Show",
        "The Launch",
        "2024-02-29",
        "https://youtu.be/x",
    )


async def test_editing_a_sidecar_reindexes_its_transcript(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "show"
    write(folder, "ep-1-launch.srt", SRT.format(word="first"))
    sidecar = write(folder, "ep-1-launch.meta.yaml", "title: Old\n")
    await index_paths(store, [folder])
    sidecar.write_text("title: New\n", encoding="utf-8")
    report = await index_paths(store, [folder])
    assert report.indexed == 1
    assert [e.title for e in await store.list_episodes()] == ["New"]


async def test_bad_files_are_reported_and_the_run_goes_on(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "show"
    write(folder, "ep-1-launch.srt", SRT.format(word="first"))
    write(folder, "notes.txt", "just some words with no structure at all\n")
    write(folder, "binary.vtt", bytes(range(256)) * 50)
    write(folder, "empty.srt", "")
    report = await index_paths(store, [folder, tmp_path / "missing.srt"])
    reasons = {Path(r.path).name: r.reason for r in report.rejects}
    assert set(reasons) == {"notes.txt", "binary.vtt", "empty.srt", "missing.srt"}
    assert "binary" in reasons["binary.vtt"]
    assert "cannot read" in reasons["missing.srt"]
    assert report.indexed == 1
    assert (await store.counts())["rejected"] == 4


async def test_source_is_the_path_as_given(store: Store, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "show", "ep-1-launch.srt", SRT.format(word="first"))
    await index_paths(store, [Path("show")])
    (episode,) = await store.list_episodes()
    assert episode.source == str(Path("show") / "ep-1-launch.srt")


async def test_worker_processes_give_the_same_index(tmp_path: Path) -> None:
    results = []
    for workers in (0, 2):
        store = await Store.open(tmp_path / f"w{workers}.db")
        await index_paths(store, [SAMPLE], workers=workers)
        results.append([(e.title, e.segments, e.published) for e in await store.list_episodes()])
        await store.close()
    assert results[0] == results[1]


async def test_a_database_kept_in_the_transcript_folder_is_not_indexed(tmp_path: Path) -> None:
    folder = tmp_path / "show"
    write(folder, "ep-1-launch.srt", SRT.format(word="first"))
    store = await Store.open(folder / "rewind.db")
    try:
        report = await index_paths(store, [folder])
        assert (report.files, report.indexed, report.rejects) == (1, 1, [])
    finally:
        await store.close()


async def test_a_file_that_turns_bad_keeps_its_last_good_version(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "show"
    path = write(folder, "ep-1-launch.srt", SRT.format(word="first"))
    await index_paths(store, [folder])
    path.write_bytes(bytes(range(256)) * 50)  # a botched upload
    report = await index_paths(store, [folder])
    (reject,) = report.rejects
    assert "binary" in reject.reason and "last good version stays indexed" in reject.reason
    assert len(await store.candidates(TermQuery((("first",),)), SegmentFilter(), 5)) == 1
    again = await index_paths(store, [folder])  # still reported on the next run, still searchable
    assert len(again.rejects) == 1
    path.write_text(SRT.format(word="fixed"), encoding="utf-8")
    fixed = await index_paths(store, [folder])
    assert (fixed.indexed, fixed.rejects) == (1, [])
    assert await store.candidates(TermQuery((("first",),)), SegmentFilter(), 5) == []
    await fts_in_step(store)


def test_oversized_files_are_rejected_before_they_are_read(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(indexer, "MAX_FILE_BYTES", 1_000)
    path = write(tmp_path, "big.srt", SRT.format(word="x") * 50)
    with pytest.raises(ParseError, match="file too large"):
        indexer.read_document(path)


def test_a_million_tiny_lines_are_rejected_with_a_clear_reason(tmp_path: Path) -> None:
    path = write(tmp_path, "cues.txt", "00:00:01 a\n" * (indexer.MAX_LINES + 1))
    with pytest.raises(ParseError, match="too many lines"):
        indexer.read_document(path)


async def test_an_unreadable_folder_is_reported_and_its_episodes_kept(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "show"
    write(folder / "locked", "ep-1-launch.srt", SRT.format(word="first"))
    await index_paths(store, [folder])
    real_scandir = os.scandir

    def scandir(path: object) -> object:  # root reads every folder, so the refusal is simulated
        if Path(str(path)).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    report = await index_paths(store, [folder])
    assert [r.reason for r in report.rejects] == ["cannot read folder: Permission denied"]
    assert report.removed == 0
    assert len(await store.list_episodes()) == 1
