"""Index writes: each batch's segments enter the full-text index once, whatever ids they get."""

import contextlib
import random
import sqlite3
from pathlib import Path

import pytest

from bot.ingest import indexer
from bot.ingest.indexer import index_paths
from models.episodes import EpisodeFacts, EpisodeRecord, SourceRecord
from storage import Store


def transcript(path: str, lines: list[str]) -> tuple[list[SourceRecord], list[EpisodeRecord]]:
    facts = EpisodeFacts("Show", "explicit", 1, path, "explicit", None, None, None, None, False)
    rows = [(float(i), None, None, line) for i, line in enumerate(lines)]
    return [SourceRecord(path, path, path, "indexed", "txt")], [EpisodeRecord(path, "", "txt", facts, (), rows)]


def texts_matching(db: sqlite3.Connection, word: str) -> list[str]:
    rows = db.execute(
        "SELECT s.text FROM segments_fts JOIN segments s ON s.id = segments_fts.rowid"
        " WHERE segments_fts MATCH ? ORDER BY s.id",
        (word,),
    )
    return [text for (text,) in rows]


async def test_a_reindexed_file_that_held_the_highest_ids_is_found_by_its_new_words_only(tmp_path: Path) -> None:
    path = tmp_path / "rewind.db"
    store = await Store.open(path)
    try:
        await store.replace_sources(
            [transcript("/a.txt", ["alpha one", "alpha two"]), transcript("/b.txt", ["bravo old", "bravo older"])]
        )
        # b.txt's rows had the highest ids: deleting them frees those ids for the new rows
        written = await store.replace_sources(
            [transcript("/b.txt", ["charlie new", "charlie newer", "charlie newest"]), transcript("/c.txt", ["don't"])]
        )
    finally:
        await store.close()
    assert written == 4
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("INSERT INTO segments_fts(segments_fts) VALUES ('integrity-check')")  # raises if index != rows
        assert texts_matching(db, "bravo") == []
        assert texts_matching(db, "charlie") == ["charlie new", "charlie newer", "charlie newest"]
        assert texts_matching(db, "alpha") == ["alpha one", "alpha two"]
        assert texts_matching(db, "dont") == ["don't"]  # the index reads the text without apostrophes
        positions = db.execute(
            "SELECT position FROM segments s JOIN episodes e ON e.id = s.episode_id"
            " WHERE e.source_path = '/b.txt' ORDER BY s.id"
        ).fetchall()
        assert positions == [(0,), (1,), (2,)]


def fts_pages(path: Path) -> int:
    """Rows of the FTS5 index's own table: its b-trees' pages, old versions and deletions included."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT count(*) FROM segments_fts_data").fetchone()[0]


def write_transcripts(folder: Path, files: int, lines: int) -> None:
    """Made-up words, thousands of them, in timestamped lines: every file's words in many b-tree pages."""
    rng = random.Random(5)
    words = ["".join(rng.choices("bdfgklmnprstvz", k=2)) + rng.choice("aeiou") + str(n) for n in range(4000)]
    folder.mkdir()
    for number in range(files):
        text = "".join(f"00:{i // 60:02}:{i % 60:02} {' '.join(rng.choices(words, k=12))}.\n" for i in range(lines))
        (folder / f"{number:03}-episode.txt").write_text(text, encoding="utf-8")


async def test_a_full_reindex_merges_the_text_index_as_it_goes_and_leaves_it_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, path = tmp_path / "transcripts", tmp_path / "rewind.db"
    write_transcripts(folder, files=24, lines=200)
    store = await Store.open(path)
    try:
        await index_paths(store, [folder], embedder=None)
        fresh = fts_pages(path)
        # a reindex in batches of 1/12 of the index, merged every 1/6 (1M segments: 50k, merged every 200k)
        monkeypatch.setattr(indexer, "BATCH_SEGMENTS", 400)
        monkeypatch.setattr(indexer, "MERGE_SEGMENTS", 800)
        during: list[int] = []  # the index's pages after each batch, as a search would read them
        report = await index_paths(
            store, [folder], full=True, embedder=None, progress=lambda *_: during.append(fts_pages(path))
        )
        assert report.segments == 24 * 200
    finally:
        await store.close()
    # unmerged, each batch leaves its old version and the deletions beside the new: 161 pages of 61 by the end
    assert max(during) < 2 * fresh, (fresh, during)
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("INSERT INTO segments_fts(segments_fts) VALUES ('integrity-check')")  # raises if index != rows
        (pieces,) = db.execute("SELECT count(DISTINCT segid) FROM segments_fts_idx").fetchone()
        assert pieces == 1  # the end of the run merged it into one b-tree
        texts = [text for (text,) in db.execute("SELECT text FROM segments")]
        word = texts[0].split()[0].lower()
        assert len(texts_matching(db, word)) == sum(word in text.lower().rstrip(".").split() for text in texts)
    assert fts_pages(path) <= 1.1 * fresh
