"""How every engine stores an episode's facts: the JSON document, and the columns linking sets."""

from __future__ import annotations

import json
from collections.abc import Iterable

from models.episodes import EpisodeFacts, LinkedEpisode


def decoded_facts(documents: Iterable[tuple[int, str]]) -> list[tuple[int, EpisodeFacts]]:
    """Episode ids with the facts their stored JSON documents hold."""
    return [(row_id, EpisodeFacts(**json.loads(document))) for row_id, document in documents]


def link_columns(episode: LinkedEpisode) -> tuple[object, ...]:
    """show, number, title, published, duration, url, description, merged_into, id: the columns
    linking sets, in this order."""
    facts = episode.facts
    return (
        facts.show,
        facts.number,
        episode.title,
        facts.published,
        facts.duration,
        facts.url,
        facts.description,
        episode.merged_into,
        episode.id,
    )
