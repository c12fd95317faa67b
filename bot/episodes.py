"""Episode listings for the bot and the CLI: filtering and one-line descriptions (no Discord here)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.errors import InvalidInput
from bot.render import clip, escape, timestamp
from models.episodes import EpisodeRow


class UnknownEpisode(InvalidInput):
    """No episode goes by the name or number a member gave."""

    def __init__(self) -> None:
        super().__init__("No episode by that name or number: pick one from the suggestions, or try `/episode list`.")


def filter_episodes(rows: Sequence[EpisodeRow], show: str | None = None, year: int | None = None) -> list[EpisodeRow]:
    """Episodes of `show` (its exact name, ignoring case) published in `year`, newest first."""
    chosen = [
        row
        for row in rows
        if (show is None or (row.show or "").casefold() == show.casefold())
        and (year is None or (row.published or "").startswith(f"{year}-"))
    ]
    return sorted(chosen, key=lambda row: (row.published or "", row.number or 0), reverse=True)


def episode_line(row: EpisodeRow) -> str:
    """`2016-11-18 · #91 · Title (1:07:32)`, escaped for Discord and at most 200 characters."""
    parts = [row.published, f"#{row.number}" if row.number is not None else None, escape(row.title)]
    length = f" ({timestamp(row.duration_seconds)})" if row.duration_seconds else ""
    return clip(" · ".join(p for p in parts if p) + length, 200)
