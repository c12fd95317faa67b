"""Summaries for the bot and the CLI: loaded from the store, made off the event loop, cached."""

from __future__ import annotations

import asyncio
import json
import logging

from bot.ports import EpisodeTexts, SummaryStore
from bot.search.engine import Searcher
from bot.summary import EpisodeText, Summary, summarize
from bot.summary.meaning import Passage
from models.episodes import episode_fields

log = logging.getLogger(__name__)

# Bump when the method changes, so cached summaries are made again.
METHOD_VERSION = 22


async def episode_text(store: EpisodeTexts, episode_id: int) -> EpisodeText | None:
    """What the summary of one visible episode is made from, or None."""
    row = await store.episode(episode_id)
    if row is None:
        return None
    return EpisodeText(
        **episode_fields(row, speakers=tuple(row.speakers)),
        description=await store.description(row.id),
        segments=await store.segments_of(row.id),
        chapters=tuple(await store.chapters_of(row.id)),
        passages=tuple(Passage(*passage) for passage in await store.passages_of(row.id)),
    )


class Summaries:
    """Summaries cached in the database until the index changes (relinking clears the cache)."""

    def __init__(self, store: SummaryStore, searcher: Searcher) -> None:
        self.store, self.searcher = store, searcher

    async def summary(self, episode_id: int) -> Summary | None:
        """The episode's summary, made on first request; None for an unknown episode."""
        cached = await self.store.cached_summary(episode_id, METHOD_VERSION)
        if cached is not None:
            return Summary.from_json(json.loads(cached))
        text = await episode_text(self.store, episode_id)
        if text is None:
            return None
        vocabulary = await self.searcher.vocabulary()
        made = await asyncio.to_thread(summarize, text, vocabulary.documents, vocabulary.segments)
        await self.store.save_summary(episode_id, METHOD_VERSION, json.dumps(made.as_json()))
        return made
