"""The store's search statements: bounded work for a random quote, time limits per statement."""

import asyncio
import contextlib
import random
import sqlite3
from pathlib import Path

import pytest

import storage.search
from bot.ingest.linking import relink
from bot.search.engine import Searcher
from bot.search.query import QueryError
from models.episodes import EpisodeFacts, EpisodeRecord, SourceRecord
from models.errors import QueryTimeout
from models.search import SearchFilters, SegmentFilter, TermQuery
from storage import Store

LINE = "Every segment of this generated show is a full sentence of some length and substance number {}."


def episode(path: str, show: str, segments: int) -> tuple[list[SourceRecord], list[EpisodeRecord]]:
    facts = EpisodeFacts(show, "explicit", 1, path, "explicit", None, None, None, None, False)
    rows = [(float(i), None, None, LINE.format(i)) for i in range(segments)]
    source = SourceRecord(path, path, path, "indexed", "txt")
    return [source], [EpisodeRecord(path, "", "txt", facts, (), rows)]


async def archive(path: Path, big_segments: int) -> Store:
    store = await Store.open(path)
    await store.replace_sources([episode("/small.txt", "Small", 50), episode("/big.txt", "Big Show", big_segments)])
    await relink(store)
    return store


def steps_of_random_pick(path: Path, where: SegmentFilter, seed: float) -> int:
    """SQLite VM steps (in hundreds) that the random pick's statements take, run as the store runs them."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.set_progress_handler(count, 100)
        episodes = connection.execute(
            storage.search.RANDOM_EPISODES, storage.search.filter_parameters(where)
        ).fetchall()
        (episode_id,) = episodes[int(seed * len(episodes))]
        connection.execute(storage.search.LAST_POSITION, {"episode": episode_id}).fetchall()
        parameters = storage.search.filter_parameters(where) | {"episode": episode_id, "from_position": 0, "limit": 200}
        connection.execute(storage.search.RANDOM_QUERY, parameters).fetchall()
    return steps


async def test_a_random_pick_does_the_same_work_however_big_the_archive(tmp_path: Path) -> None:
    sizes = {}
    for big in (2_000, 40_000):
        store = await archive(tmp_path / f"{big}.db", big)
        small = SegmentFilter(show_ids=tuple(i for i, title in await store.show_titles() if title == "Small"))
        await store.close()
        sizes[big] = steps_of_random_pick(tmp_path / f"{big}.db", small, 0.5)
    assert sizes[40_000] <= sizes[2_000] * 1.5 + 5  # a scan of the big show would be ~20x


async def test_a_random_quote_for_one_show_comes_from_that_show(tmp_path: Path) -> None:
    store = await archive(tmp_path / "r.db", 5_000)
    try:
        searcher = Searcher(store)
        rng = random.Random(1)
        shows = {(await searcher.random_quote(SearchFilters(show="Small"), rng=rng)).show for _ in range(20)}
        assert shows == {"Small"}
        anywhere = {(await searcher.random_quote(rng=rng)).show for _ in range(20)}
        assert anywhere == {"Small", "Big Show"}  # every episode is as likely
    finally:
        await store.close()


async def test_a_random_quote_past_its_time_limit_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    store = await archive(tmp_path / "r.db", 5_000)
    monkeypatch.setattr(storage.search, "RANDOM_SECONDS", 0.0)  # every statement is past its limit
    try:
        with pytest.raises(QueryError, match="busy"):
            await Searcher(store).random_quote(rng=random.Random(1))
    finally:
        await store.close()


async def test_a_search_time_limit_never_stops_another_statement(tmp_path: Path) -> None:
    store = await archive(tmp_path / "r.db", 20_000)
    try:
        big = next(e.id for e in await store.list_episodes() if e.show == "Big Show")
        search = asyncio.create_task(
            store.candidates(TermQuery((("sentence",),)), SegmentFilter(), 20_000, time_limit=0.0)
        )
        other = [asyncio.create_task(store.segments_of(big)) for _ in range(3)]
        with pytest.raises(QueryTimeout):
            await search
        assert [len(rows) for rows in await asyncio.gather(*other)] == [20_000] * 3  # none was interrupted
    finally:
        await store.close()


async def test_overlapping_searches_keep_their_own_time_limits(tmp_path: Path) -> None:
    store = await archive(tmp_path / "r.db", 20_000)
    try:
        short = store.candidates(TermQuery((("sentence",),)), SegmentFilter(), 20_000, time_limit=0.0)
        long = store.candidates(TermQuery((("sentence",),)), SegmentFilter(), 20_000, time_limit=60.0)
        results = await asyncio.gather(short, long, return_exceptions=True)
        assert isinstance(results[0], QueryTimeout)
        assert len(results[1]) == 20_000  # the short one's limit did not cut the long one
    finally:
        await store.close()


def test_rewind_random_past_its_time_limit_says_so_without_a_traceback(tmp_path: Path, monkeypatch, capsys) -> None:
    from bot.cli import main

    async def build() -> None:
        await (await archive(tmp_path / "r.db", 500)).close()

    asyncio.run(build())
    monkeypatch.setattr(storage.search, "RANDOM_SECONDS", 0.0)
    assert main(["random", "--db", str(tmp_path / "r.db")]) == 1
    captured = capsys.readouterr()
    assert "busy" in captured.err
    assert "Traceback" not in captured.err


async def lines_archive(path: Path, lines: list[str]) -> Store:
    store = await Store.open(path)
    facts = EpisodeFacts("Lines", "explicit", 1, "/lines.txt", "explicit", None, None, None, None, False)
    rows = [(float(i), None, None, line) for i, line in enumerate(lines)]
    source = SourceRecord("/lines.txt", "/lines.txt", "/lines.txt", "indexed", "txt")
    await store.replace_sources([([source], [EpisodeRecord("/lines.txt", "", "txt", facts, (), rows)])])
    await relink(store)
    return store


async def test_candidates_within_the_limit_are_all_the_matches_shortest_first(tmp_path: Path) -> None:
    lines = [f"{'a much longer line ' * (i % 4)}about the harbour walk number {i}." for i in range(12)]
    store = await lines_archive(tmp_path / "few.db", [*lines, *(f"nothing to see in line {i}." for i in range(40))])
    try:
        found = await store.candidates(TermQuery((("harbour",), ("walk",))), SegmentFilter(), 12)
        assert sorted(c.text for c in found) == sorted(lines)
        assert [len(c.text) for c in found] == sorted(len(c.text) for c in found)
    finally:
        await store.close()


async def test_candidates_past_the_limit_are_the_best_by_bm25(tmp_path: Path) -> None:
    dense = [f"harbour harbour harbour {i}." for i in range(5)]
    sparse = [f"we walked a long way round the bay past the old harbour wall at dusk, line {i}." for i in range(200)]
    store = await lines_archive(tmp_path / "many.db", [*sparse[:100], *dense, *sparse[100:]])
    try:
        found = await store.candidates(TermQuery((("harbour",),)), SegmentFilter(), 5)
        assert sorted(c.text for c in found) == sorted(dense)
    finally:
        await store.close()


async def test_a_plan_of_phrases_alone_past_the_limit_is_the_first_matches_not_ranked(tmp_path: Path) -> None:
    """Every match says the phrase: bm25 would only prefer the shortest rows, at the cost of all of them."""
    long = [f"so anyway we went down to the harbour walk and stayed there all of day {i}." for i in range(100)]
    short = [f"the harbour walk {i}." for i in range(5)]
    store = await lines_archive(tmp_path / "phrase.db", [*long, *short])
    try:
        found = await store.candidates(TermQuery(phrases=(("harbour", "walk"),)), SegmentFilter(), 5)
        assert [c.text for c in found] == long[:5]
        ranked = await store.candidates(TermQuery((("harbour",), ("walk",))), SegmentFilter(), 5)
        assert sorted(c.text for c in ranked) == sorted(short)  # an AND of words is still ranked by bm25
    finally:
        await store.close()
