"""Candidate searches: a neutral plan rendered to FTS5, random lines, given segments, and the
vocabulary; each statement on a read connection of its own, stopped at its deadline."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from models.episodes import Candidate
from models.errors import QueryTimeout
from models.search import SegmentFilter, TermQuery
from storage.common import CANDIDATE_COLUMNS, CANDIDATE_JOINS, in_order
from storage.connection import Connection, TimedReader
from storage.fts import match_expression


def filter_parameters(where: SegmentFilter) -> dict[str, object]:
    """Named parameters for the candidate queries."""
    return {
        "show_ids": None if where.show_ids is None else json.dumps(where.show_ids),
        "episode_ids": None if where.episode_ids is None else json.dumps(where.episode_ids),
        "speaker": where.speaker,
        "after": where.after,
        "before": where.before,
    }


_EPISODE_FILTERS = """
    e.merged_into IS NULL
    AND (:show_ids IS NULL OR e.show_id IN (SELECT value FROM json_each(:show_ids)))
    AND (:episode_ids IS NULL OR e.id IN (SELECT value FROM json_each(:episode_ids)))
    AND (:after IS NULL OR e.published >= :after)
    AND (:before IS NULL OR e.published <= :before)
"""
_CANDIDATE_FILTERS = _EPISODE_FILTERS + "AND (:speaker IS NULL OR s.speaker = :speaker COLLATE NOCASE)\n"
_MATCHING = (
    "FROM segments_fts f JOIN segments s ON s.id = f.rowid"
    + CANDIDATE_JOINS
    + "WHERE segments_fts MATCH :expression AND"
    + _CANDIDATE_FILTERS
)
MATCH_QUERY = "SELECT" + CANDIDATE_COLUMNS.format(rank="f.rank") + _MATCHING + "ORDER BY f.rank LIMIT :limit"
# bm25 weighs each phrase by the rows holding it, which FTS5 counts by walking the phrase's whole
# doclist: for a common word (a million rows at 3M segments) most of the query's time, 50-1000 ms.
# In index order, with no rank asked for, FTS5 walks only the matches and stops at the limit.
UNRANKED_QUERY = "SELECT" + CANDIDATE_COLUMNS.format(rank="0.0") + _MATCHING + "LIMIT :limit"
# A random quote picks an episode, then a point in it: both are index lookups, so the time does
# not grow with the archive. (Scanning and sorting the joined rows took ~1 s at 1M segments.) Only
# the picked episode's length is looked up: probing every episode's took 3-5 ms at 1M segments.
_EPISODE_SPEAKER = """
    AND (:speaker IS NULL OR EXISTS (SELECT 1 FROM json_each(e.speakers) WHERE value = :speaker COLLATE NOCASE))
"""
RANDOM_EPISODES = "SELECT" + " e.id FROM episodes e WHERE" + _EPISODE_FILTERS + _EPISODE_SPEAKER + "ORDER BY e.id"
LAST_POSITION = "SELECT max(position) FROM segments WHERE episode_id = :episode"
RANDOM_QUERY = (
    "SELECT"
    + CANDIDATE_COLUMNS.format(rank="0.0")
    + "FROM segments s"
    + CANDIDATE_JOINS
    + """WHERE s.episode_id = :episode AND s.position >= :from_position AND length(s.text) BETWEEN 40 AND 400
    AND (:speaker IS NULL OR s.speaker = :speaker COLLATE NOCASE)
    ORDER BY s.position LIMIT :limit"""
)
RANDOM_SECONDS = 1.0

SEGMENTS_QUERY = (
    "SELECT"  # noqa: S608 (constant fragments; the ids are a bound JSON parameter)
    + CANDIDATE_COLUMNS.format(rank="0.0")
    + "FROM segments s"
    + CANDIDATE_JOINS
    + "WHERE s.id IN (SELECT value FROM json_each(:ids)) AND"
    + _CANDIDATE_FILTERS
)
STAGE_LIMIT = 1.0


class SearchReads(Connection):
    """Fetching candidates for a search."""

    async def candidates(
        self, plan: TermQuery, where: SegmentFilter, limit: int, *, time_limit: float = 0.5
    ) -> list[Candidate]:
        """Segments matching `plan` that `where` allows, best bm25 first. When no more than `limit`
        match, bm25 is not needed to choose among them, and they come shortest first instead (as
        bm25 orders rows that all hold the same terms): see UNRANKED_QUERY. Nor for a plan of
        phrases alone, whose matches all say the same words: the first `limit` in index order."""
        expression = match_expression(plan)
        if not expression:  # MATCH '' is a syntax error
            return []
        parameters = {"expression": expression, "limit": limit + 1, **filter_parameters(where)}
        found = await self._timed(UNRANKED_QUERY, parameters, time_limit)
        phrases_only = not (plan.groups or plan.alternatives or plan.near)  # every match holds them all
        if len(found) <= limit or phrases_only:
            return sorted(found[:limit], key=lambda c: len(c.text))
        return await self._timed(MATCH_QUERY, parameters | {"limit": limit}, time_limit)

    async def random_candidates(self, where: SegmentFilter, limit: int, seed: float) -> list[Candidate]:
        """A run of up to `limit` segments from a random point (`seed` in [0, 1)) of a random
        episode that `where` allows; every such episode with segments is equally likely."""
        parameters = filter_parameters(where)
        episodes = [row[0] for row in await self._db.execute_fetchall(RANDOM_EPISODES, parameters)]
        pick = random.Random(seed)
        while episodes:  # an episode of show notes alone has no segments: pick another
            episode = episodes.pop(pick.randrange(len(episodes)))
            ((last,),) = await self._db.execute_fetchall(LAST_POSITION, {"episode": episode})
            if last is not None:
                break
        else:
            return []
        parameters |= {"episode": episode, "from_position": int(pick.random() * (last + 1)), "limit": limit}
        found = await self._timed(RANDOM_QUERY, parameters, RANDOM_SECONDS)
        if len(found) < limit and parameters["from_position"] > 0:  # wrap to the episode's start
            found += await self._timed(RANDOM_QUERY, parameters | {"from_position": 0}, RANDOM_SECONDS)
        return list({c.segment_id: c for c in found}.values())

    async def segment_candidates(self, segment_ids: Sequence[int], where: SegmentFilter) -> list[Candidate]:
        """These segments as candidates, in the order given, less those `where` excludes."""
        parameters = {"ids": json.dumps(list(segment_ids)), **filter_parameters(where)}
        return in_order(segment_ids, await self._timed(SEGMENTS_QUERY, parameters, STAGE_LIMIT))

    async def _timed(self, query: str, parameters: dict[str, object], time_limit: float) -> list[Candidate]:
        """Run a search statement on a read connection of its own, so its time limit bounds this
        statement only: overlapping searches, and this connection's other statements, never see it."""
        reader = self._readers.pop() if self._readers else None
        try:
            reader = reader or await asyncio.to_thread(TimedReader, self.path)
            rows = await asyncio.to_thread(reader.fetch, query, parameters, time_limit)
        except sqlite3.OperationalError as error:
            if "interrupted" in str(error):
                raise QueryTimeout(f"query stopped after {time_limit:.2f} s") from error
            raise
        finally:
            if reader is not None and self._closed:
                reader.close()
            elif reader is not None:
                self._readers.append(reader)
        return [Candidate(*row) for row in rows]

    async def vocabulary_snapshot(self) -> tuple[dict[str, int], int]:
        """Every indexed term with the number of segments that contain it, and the segment total,
        read in a worker thread through a read-only connection of its own, so the scan (~0.2 s on
        a large index) holds up neither the event loop nor this connection's other queries."""
        return await asyncio.to_thread(read_vocabulary, self.path)

    async def term_counts(self, terms: Sequence[str]) -> tuple[dict[str, int], int]:
        """How many segments hold each of `terms` (those in none are left out), and about how many
        segments there are (the highest id: a count would scan them), read in a worker thread."""
        return await asyncio.to_thread(read_term_counts, self.path, list(terms))


def read_vocabulary(path: Path) -> tuple[dict[str, int], int]:
    """Term document counts and the segment total, from one snapshot of the database at `path`."""
    uri = f"{Path(path).resolve().as_uri()}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, isolation_level=None)) as connection:
        connection.execute("PRAGMA busy_timeout = 5000")
        connection.execute("BEGIN")  # both reads see the same commit
        counts = dict(connection.execute("SELECT term, doc FROM segments_vocab"))
        (segments,) = connection.execute("SELECT count(*) FROM segments").fetchone()
        connection.execute("COMMIT")
    return counts, segments


def read_term_counts(path: Path, terms: list[str]) -> tuple[dict[str, int], int]:
    """Document counts of `terms` and the highest segment id, from one snapshot of the database."""
    uri = f"{Path(path).resolve().as_uri()}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, isolation_level=None)) as connection:
        connection.execute("PRAGMA busy_timeout = 5000")
        connection.execute("BEGIN")
        counts = {}
        for term in terms:  # fts5vocab answers `term = ?` by a lookup in the index
            row = connection.execute("SELECT doc FROM segments_vocab WHERE term = ?", (term,)).fetchone()
            if row is not None:
                counts[term] = row[0]
        (segments,) = connection.execute("SELECT coalesce(max(id), 0) FROM segments").fetchone()
        connection.execute("COMMIT")
    return counts, segments
