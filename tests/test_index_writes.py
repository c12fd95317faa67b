"""Index writes: each batch's segments enter the full-text index once, whatever ids they get."""

import contextlib
import sqlite3
from pathlib import Path

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
