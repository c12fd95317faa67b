"""The store contract, run over both backends: the same files indexed into SQLite and PostgreSQL
give the same episodes, the same vocabulary and the same search hits, and the shared state
(claims, pagers, facts, summaries) behaves alike when two processes use one database."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from bot.ingest.indexer import index_paths
from bot.search.engine import Searcher
from bot.search.query import SearchFilters
from bot.semantic.passages import embed_pending, quantize
from bot.summary.service import episode_text
from models.shards import ShardSlice
from models.state import PendingPost, PollOutcome
from models.text import tokens
from storage import Store
from storage.postgres import PostgresStore
from tests.conftest import SAMPLE, write
from tests.test_search import SHOW_A
from tests.test_semantic import BAKING, ML, ConceptEmbedder

AnyStore = Store | PostgresStore

ALPHA = SHOW_A.rstrip().removesuffix("cache.") + "café’s cache. Don't guess.\n"
BETA = """1
00:00:02,000 --> 00:00:06,000
CARA: Nobody reads the terms of service, and the lawyers know it.

2
00:00:07,000 --> 00:00:12,000
DEV: A slot machine in every pocket, that's the business model now.
"""
QUERIES = [
    ("what keeps people pulling the lever", None, 1.0),  # exact
    ("dopamine loop slot machine keeps pulling lever", None, 1.0),  # dropped words
    ("dopamnie lop of a slot machnie", None, 1.0),  # misspelt
    ('"slot machine in every pocket"', None, 7.0),  # a quoted phrase
    ("cafe cache latency dont guess", None, 40.0),  # accents and apostrophes folded
    ("slot machine", SearchFilters(show="Beta Talk"), 7.0),
    ("slot machine", SearchFilters(speaker="ana"), 1.0),
    ("lawyers know it terms of service", SearchFilters(before=None, after=None, episode="1"), None),
]


def reopened(store: AnyStore) -> object:
    """Another process's view of the same database."""
    return PostgresStore.open(store.url) if isinstance(store, PostgresStore) else Store.open(store.path)


async def indexed(store: AnyStore, folder: Path) -> AnyStore:
    write(folder / "alpha", "ep-1-slots.srt", ALPHA)
    write(folder / "alpha", "ep-1-slots.meta.yaml", "show: Alpha Cast\npublished: 2020-02-15\n")
    write(folder / "beta", "ep-1-terms.srt", BETA)
    write(folder / "beta", "ep-1-terms.meta.yaml", "show: Beta Talk\npublished: 2021-06-01\n")
    await index_paths(store, [folder])
    return store


async def expected_vocabulary(store: AnyStore) -> Counter[str]:
    """Each token with the number of segments holding it, counted from the stored text."""
    counts: Counter[str] = Counter()
    for row in await store.list_episodes():
        for *_, text in await store.segments_of(row.id):
            counts.update(set(tokens(text)))
    return counts


async def test_indexing_lists_the_same_episodes(any_store: AnyStore, tmp_path: Path) -> None:
    await indexed(any_store, tmp_path / "casts")
    rows = await any_store.list_episodes()
    assert [(r.show, r.number, r.published, r.segments) for r in rows] == [
        ("Alpha Cast", 1, "2020-02-15", 4),
        ("Beta Talk", 1, "2021-06-01", 2),
    ]
    assert rows[0].speakers == ["Ana", "Ben"]
    assert await any_store.counts() == {"shows": 2, "episodes": 2, "segments": 6, "rejected": 0}
    assert await any_store.show_titles() == [(1, "Alpha Cast"), (2, "Beta Talk")]
    assert await any_store.speaker_names() == ["Ana", "Ben", "Cara", "Dev"]


async def test_feed_items_join_their_transcripts_alike(any_store: AnyStore) -> None:
    await index_paths(any_store, [SAMPLE])
    rows = await any_store.list_episodes()
    assert [(r.show, r.number, r.title, r.published, r.format) for r in rows] == [
        ("Rewind Radio", 1, "Shipping software", "2021-02-24", "srt"),
        ("Rewind Radio", 2, "Property-based testing", "2021-03-10", "timestamped-text"),
    ]
    assert await any_store.description(rows[0].id)


async def test_the_vocabulary_follows_reindexes_and_removals(any_store: AnyStore, tmp_path: Path) -> None:
    folder = tmp_path / "casts"
    await indexed(any_store, folder)
    counts, segments = await any_store.vocabulary_snapshot()
    assert (counts, segments) == (await expected_vocabulary(any_store), 6)
    assert counts["slot"] == 2 and counts["cafes"] == 1 and counts["dont"] == 1
    write(folder / "alpha", "ep-1-slots.srt", ALPHA.replace("slot machine", "pinball table"))
    (folder / "beta" / "ep-1-terms.srt").unlink()
    (folder / "beta" / "ep-1-terms.meta.yaml").unlink()
    await index_paths(any_store, [folder])
    counts, segments = await any_store.vocabulary_snapshot()
    assert (counts, segments) == (await expected_vocabulary(any_store), 4)
    assert "slot" not in counts and counts["pinball"] == 1 and "lawyers" not in counts


@pytest.mark.parametrize(("typed", "filters", "start"), QUERIES)
async def test_searches_find_the_moment(
    any_store: AnyStore, tmp_path: Path, typed: str, filters: SearchFilters | None, start: float | None
) -> None:
    searcher = Searcher(await indexed(any_store, tmp_path / "casts"), embedder=None)
    hits = await searcher.search(typed, filters=filters)
    if start is None:  # episode 1 of every show: Beta Talk's is the one that says it
        assert hits[0].show == "Beta Talk"
    else:
        assert hits[0].start_seconds == start


async def test_both_backends_give_the_same_hits(tmp_path: Path, postgres_url: str) -> None:
    found = []
    for store in (await Store.open(tmp_path / "rewind.db"), await PostgresStore.open(postgres_url)):
        searcher = Searcher(await indexed(store, tmp_path / "casts"), embedder=None)
        found.append([[hit.as_json() for hit in await searcher.search(q, filters=f, limit=5)] for q, f, _ in QUERIES])
        await store.close()
    sqlite, postgresql = found
    assert sqlite == postgresql


async def test_another_processs_index_write_changes_the_marker(any_store: AnyStore, tmp_path: Path) -> None:
    other = await reopened(any_store)
    try:
        before = await any_store.change_marker()
        await indexed(other, tmp_path / "casts")
        assert await any_store.change_marker() != before
        assert (await any_store.vocabulary_snapshot())[1] == 6
    finally:
        await other.close()


async def test_two_processes_claiming_the_same_posts_claim_each_once(any_store: AnyStore) -> None:
    other = await reopened(any_store)
    try:
        for guild in range(1, 41):
            await any_store.save_schedule(guild, 100 + guild, 9, "Europe/Paris", True)
        due = [(guild, "2024-05-01") for guild in range(1, 41)]
        batches = [due[start : start + 10] for start in range(0, 40, 10)]
        both = ((any_store, "a"), (other, "b"))
        claimed = await asyncio.gather(
            *(store.claim_posts(batch, name, 60) for batch in batches for store, name in both)
        )
        claims = [claim for batch in claimed for claim in batch]
        assert sorted(claim.guild_id for claim in claims) == list(range(1, 41))  # each once, by one of them
        first = claims[0]
        assert await other.claim_posts([(first.guild_id, "2024-05-01")], "c", 60) == []  # leased
        await any_store.mark_sent(first, 777)
        assert await other.renew_claim(first, -1)  # its lease ends, unfinished
        (taken,) = await other.claim_posts([(first.guild_id, "2024-05-01")], "c", 60)
        assert (taken.owner, taken.sent_message_id) == ("c", 777)  # the post went out: only finish it
        assert not await any_store.renew_claim(first, 60)  # the first owner lost it
        await any_store.finish_post(first)  # ...so its late finish changes nothing
        assert (await any_store.schedule(first.guild_id)).last_posted is None
        await other.finish_post(taken)
        assert (await any_store.schedule(first.guild_id)).last_posted == "2024-05-01"
        assert await other.claim_posts([(first.guild_id, "2024-05-01")], "c", 60) == []  # done for the day
        (second, *_) = [claim for claim in claims if claim.guild_id != first.guild_id]
        store = any_store if second.owner == "a" else other
        await store.release_post(second)  # a passing failure: claimable again at once
        (again,) = await other.claim_posts([(second.guild_id, "2024-05-01")], "c", 60)
        assert again.sent_message_id is None
    finally:
        await other.close()


async def test_one_identify_turn_a_bucket_at_a_time_across_processes(any_store: AnyStore) -> None:
    other = await reopened(any_store)
    try:
        turns = await asyncio.gather(*(store.take_identify_turn(0, 5.0) for store in (any_store, other) * 3))
        assert sorted(turns)[0] == 0.0 and all(0 < left <= 5.0 for left in sorted(turns)[1:])  # one winner
        assert await other.take_identify_turn(1, 5.0) == 0.0  # another bucket has its own turns
        assert await any_store.take_identify_turn(0, 0.0) == 0.0  # once the spacing has passed
    finally:
        await other.close()


async def test_schedules_of_a_slice_of_the_shards(any_store: AnyStore) -> None:
    for n in range(8):
        await any_store.save_schedule((n << 22) | 5, n, 9, "UTC", True)
    rows = await any_store.schedules(ShardSlice(4, (1, 3)))
    assert [row.channel_id for row in rows] == [1, 3, 5, 7]
    assert len(await any_store.schedules()) == 8


async def test_pager_ids_are_unique_across_processes_and_old_ones_go(any_store: AnyStore) -> None:
    other = await reopened(any_store)
    try:
        ids = await asyncio.gather(*(s.save_pager(7, "hits", f"[{i}]") for i in range(10) for s in (any_store, other)))
        assert len(set(ids)) == 20
        assert await other.pager(ids[0]) == (7, "hits", "[0]")
        newest = await any_store.save_pager(7, "hits", "[]", keep_days=-1)  # all before now is too old
        assert [await other.pager(i) for i in ids if i != newest] == [None] * len(set(ids) - {newest})
    finally:
        await other.close()


async def test_old_pagers_are_found_by_an_index_on_created_at(any_store: AnyStore) -> None:
    prune = "DELETE FROM pagers WHERE created_at < '2026-01-01'"
    if isinstance(any_store, PostgresStore):
        async with any_store._pool.acquire() as connection:
            await connection.execute("SET enable_seqscan = off")  # an empty table: ask what could be used
            plan = "\n".join(row[0] for row in await connection.fetch(f"EXPLAIN {prune}"))
    else:
        plan = " ".join(str(row[-1]) for row in await any_store._db.execute_fetchall(f"EXPLAIN QUERY PLAN {prune}"))
    assert "pagers_created" in plan, plan


async def test_facts_and_summaries_are_kept(any_store: AnyStore, tmp_path: Path) -> None:
    await indexed(any_store, tmp_path / "casts")
    await any_store.set_fact("commands", "abc")
    await any_store.set_fact("commands", "def")
    assert await any_store.fact("commands") == "def"
    assert await any_store.fact("missing") is None
    await any_store.save_summary(1, 3, '{"gist": "x"}')
    await any_store.save_summary(99, 3, "{}")  # no such episode: nothing kept
    assert await any_store.cached_summary(1, 3) == '{"gist": "x"}'
    assert await any_store.cached_summary(1, 4) is None
    assert await any_store.cached_summary(99, 3) is None
    write(tmp_path / "casts" / "beta", "ep-1-terms.srt", BETA.replace("lawyers", "judges"))
    await index_paths(any_store, [tmp_path / "casts"])  # a change to the index drops the summaries
    assert await any_store.cached_summary(1, 3) is None


async def test_search_by_meaning_finds_a_paraphrase(any_store: AnyStore, tmp_path: Path) -> None:
    folder = tmp_path / "casts"
    write(folder / "science", "ep-1-momentum.srt", ML)
    write(folder / "kitchen", "ep-2-bread.srt", BAKING)
    await index_paths(any_store, [folder])
    embedder = ConceptEmbedder()
    assert await any_store.count_unembedded() == 2
    assert await embed_pending(any_store, embedder) > 0  # passages stored
    assert await embed_pending(any_store, embedder) == 0
    assert await any_store.count_unembedded() == 0
    snapshot = await any_store.vector_snapshot()
    parts = await any_store.segment_vectors(snapshot.passage_ids)
    assert [len(parts[i]) for i in snapshot.passage_ids] == [
        384 * (last - first + 1) for first, last in zip(snapshot.first_segments, snapshot.last_segments, strict=True)
    ]
    hits = await Searcher(any_store, embedder=embedder).search("harmonic oscillator")
    assert hits and hits[0].match == "meaning"
    assert "damped spring" in hits[0].text


async def test_notes_vectors_are_kept_only_for_the_notes_they_were_made_from(
    any_store: AnyStore, tmp_path: Path
) -> None:
    folder = tmp_path / "casts"
    write(folder / "kitchen", "ep-2-bread.srt", BAKING)
    write(folder / "kitchen", "ep-2-bread.meta.yaml", "description: Loaves and ovens.\n")
    await index_paths(any_store, [folder])
    embedder = ConceptEmbedder()
    assert await any_store.unnoted_episodes(10) == []  # nothing embedded yet
    assert await embed_pending(any_store, embedder) > 0
    assert await any_store.unnoted_episodes(10) == []
    (episode_id,) = (await any_store.vector_snapshot()).notes
    old = (episode_id, "Bread", "Loaves and ovens.")
    write(folder / "kitchen", "ep-2-bread.meta.yaml", "description: Flour and yeast.\n")
    await index_paths(any_store, [folder])  # the episode and its vectors are made anew
    assert (await any_store.vector_snapshot()).notes == {}
    assert not await any_store.save_notes_vector(
        old, quantize(embedder.embed(["Bread. Loaves and ovens."])[0]).tobytes()
    )
    await embed_pending(any_store, embedder)
    (notes,) = (await any_store.vector_snapshot()).notes.values()
    assert notes == quantize(embedder.embed(["Bread. Flour and yeast."])[0]).tobytes()


async def test_an_episodes_vectors_reach_its_summary_on_the_right_segments(any_store: AnyStore, tmp_path: Path) -> None:
    folder = tmp_path / "meaning"
    write(folder, "ep-1-ml.srt", ML)
    write(folder, "ep-2-baking.srt", BAKING)
    await index_paths(any_store, [folder])
    embedder = ConceptEmbedder()
    await embed_pending(any_store, embedder)
    for episode in await any_store.list_episodes():
        text = await episode_text(any_store, episode.id)
        assert text is not None and text.passages
        assert [i for p in text.passages for i in range(p.first, p.last + 1)] == list(range(len(text.segments)))
        for passage in text.passages:
            whole, parts = embedder.embed_parts([row[3] for row in text.segments[passage.first : passage.last + 1]])
            assert passage.vector == quantize(whole).tobytes()
            assert passage.segment_vectors == quantize(parts).tobytes()


async def test_the_feed_tables_behave_alike(any_store: AnyStore) -> None:
    feeds = any_store.feeds
    first, second = "https://b.example/feed", "https://B.example/Ω"  # code point order: "B" < "b"
    assert await feeds.add(first, "/feeds/b.xml") and await feeds.add(second, "/feeds/o.xml")
    assert not await feeds.add(first, "/feeds/other.xml")
    assert [row.url for row in await feeds.feeds()] == [second, first]

    await feeds.record_poll(first, PollOutcome("ok", "2030-01-01T01:00:00", etag='"v1"', items=3))
    await feeds.record_poll(first, PollOutcome("error", "2030-01-01T02:00:00", error="timed out", etag='"v2"'))
    row = await feeds.feed(first)
    assert row is not None
    assert (row.status, row.last_error, row.failures, row.etag, row.items) == ("error", "timed out", 1, '"v1"', 3)
    await feeds.record_poll(first, PollOutcome("ok", "2030-01-01T03:00:00", etag='"v3"'))
    row = await feeds.feed(first)
    assert row is not None and (row.failures, row.etag, row.last_error) == (0, '"v3"', None)

    assert await feeds.note_items(first, ["a", "b", "a"]) == ["a", "b"]
    assert await feeds.note_items(first, ["b", "c"]) == ["c"]
    await feeds.record_download(first, f"{first}/z.vtt", "404", "2030-01-02T00:00:00")
    await feeds.record_download(first, f"{first}/a.vtt", "timed out", "2030-01-02T00:00:00")
    await feeds.record_download(first, f"{first}/a.vtt", "timed out again", "2030-01-03T00:00:00")
    assert await feeds.failed_downloads(first) == {
        f"{first}/z.vtt": (1, "404", "2030-01-02T00:00:00"),
        f"{first}/a.vtt": (2, "timed out again", "2030-01-03T00:00:00"),
    }
    row = await feeds.feed(first)
    assert row is not None and [url for url, _ in row.failed_downloads] == [f"{first}/a.vtt", f"{first}/z.vtt"]
    await feeds.record_download(first, f"{first}/z.vtt", None)
    assert list(await feeds.failed_downloads(first)) == [f"{first}/a.vtt"]
    assert await feeds.joined_elsewhere("/feeds/b.xml", "/casts") == set()
    assert await feeds.pending_posts(11, "2000-01-01") == []
    assert await feeds.item_episode(12345) is None

    await feeds.save_announce(11, 22, True)
    await feeds.save_announce(33, 44, False)
    await feeds.record_announce_result(11, "Missing Access")
    channels = await feeds.announce_channels()
    assert [(c.guild_id, c.channel_id, c.enabled, c.last_error) for c in channels] == [
        (11, 22, True, "Missing Access"),
        (33, 44, False, None),
    ]
    assert [c.guild_id for c in await feeds.announce_channels(33)] == [33]
    post = PendingPost(first, "a", 1, 1)
    assert await feeds.claim_post(11, post) and not await feeds.claim_post(11, post)
    await feeds.release_post(11, post)
    assert await feeds.claim_post(11, post)

    removed = await feeds.remove(first)
    assert removed is not None and removed.url == first
    assert await feeds.remove(first) is None
    assert [row.url for row in await feeds.feeds()] == [second]
