"""`rewind migrate --to postgresql://...`: a SQLite index and its settings, copied whole and counted."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.search.engine import Searcher
from bot.semantic.passages import embed_pending
from storage import Store
from storage.postgres import PostgresStore
from tests.conftest import SAMPLE, write
from tests.test_semantic import ConceptEmbedder

FEED = "https://example.org/feed.xml"


async def settled(path: Path) -> None:
    """A SQLite index with some of everything a server sets: a schedule, a feed, a pager, a summary."""
    store = await Store.open(path)
    await store.save_schedule(11, 21, 9, "Europe/Paris", True)
    (claim,) = await store.claim_posts([(11, "2024-05-01")], "bot", 60)
    await store.finish_post(claim)
    await store.set_fact("commands:global", "abc")
    await store.save_pager(5, "hits", "[1, 2]")
    await store.save_summary(1, 3, '{"gist": "kept"}')
    assert await embed_pending(store, ConceptEmbedder()) > 0
    feeds = store.feeds
    await feeds.add(FEED, "/feeds/example.xml")
    await feeds.note_items(FEED, ["a", "b"])
    await feeds.save_announce(11, 22, True)
    await store.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """The sample indexed into a SQLite file by `rewind index`."""
    path = tmp_path / "rewind.db"
    assert main(["index", str(SAMPLE), "--db", str(path), "--json"]) == 0
    return path


def test_migrate_copies_everything_and_counts_it(
    db: Path, tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(settled(db))
    capsys.readouterr()
    assert main(["migrate", "--db", str(db), "--to", postgres_url, "--json"]) == 0
    copied = json.loads(capsys.readouterr().out)
    assert {k: copied[k] for k in ("shows", "episodes", "schedules", "feeds", "feed_items", "pagers")} == {
        "shows": 1,
        "episodes": 4,  # two transcripts and the two feed items they joined
        "schedules": 1,
        "feeds": 1,
        "feed_items": 2,
        "pagers": 1,
    }
    asyncio.run(same_on_both(db, postgres_url))
    write(tmp_path / "more", "ep-9-new.srt", "1\n00:00:01,000 --> 00:00:03,000\nA brand new line.\n")
    assert main(["index", str(tmp_path / "more"), "--db", postgres_url, "--json"]) == 0  # ids follow the copied
    capsys.readouterr()
    assert main(["episodes", "--db", postgres_url, "--json"]) == 0
    assert sorted(e["id"] for e in json.loads(capsys.readouterr().out)) == [1, 2, 5]


async def same_on_both(db: Path, url: str) -> None:
    sqlite, postgresql = await Store.open(db), await PostgresStore.open(url)
    try:
        assert await postgresql.list_episodes() == await sqlite.list_episodes()
        assert await postgresql.schedules() == await sqlite.schedules()
        assert await postgresql.vocabulary_snapshot() == await sqlite.vocabulary_snapshot()
        vectors = await sqlite.vector_snapshot()
        assert await postgresql.vector_snapshot() == vectors
        passages = list(vectors.passage_ids)
        assert await postgresql.segment_vectors(passages) == await sqlite.segment_vectors(passages) != {}
        assert await postgresql.cached_summary(1, 3) == '{"gist": "kept"}'
        assert await postgresql.fact("commands:global") == "abc"
        assert await postgresql.feeds.feeds() == await sqlite.feeds.feeds()
        query = "fix the bugs before the users find them"
        found = [await Searcher(s, embedder=None).search(query) for s in (sqlite, postgresql)]
        assert [h.as_json() for h in found[0]] == [h.as_json() for h in found[1]]
        assert await postgresql.save_pager(5, "hits", "[]") == 2  # new rows continue after the copied ids
    finally:
        await sqlite.close()
        await postgresql.close()


def test_migrate_refuses_a_database_that_holds_an_index(
    db: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["index", str(SAMPLE), "--db", postgres_url, "--json"]) == 0
    capsys.readouterr()
    assert main(["migrate", "--db", str(db), "--to", postgres_url]) == 1
    assert "already holds an index" in capsys.readouterr().err
    assert main(["migrate", "--db", postgres_url, "--to", postgres_url]) == 2
