"""What a search asks of the index: the filters a member typed and their resolved form."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Narrow a search to a show, an episode, a speaker or a date range."""

    show: str | None = None
    episode: str | None = None  # an episode number, id or title
    speaker: str | None = None
    after: dt.date | None = None
    before: dt.date | None = None

    def merged_over(self, other: SearchFilters) -> SearchFilters:
        """These filters, falling back to `other` where unset."""
        return SearchFilters(
            self.show or other.show,
            self.episode or other.episode,
            self.speaker or other.speaker,
            self.after or other.after,
            self.before or other.before,
        )


@dataclass(frozen=True, slots=True)
class SegmentFilter:
    """The filters resolved to ids and ISO dates, for storage to narrow candidates; None means
    no restriction."""

    show_ids: tuple[int, ...] | None = None
    episode_ids: tuple[int, ...] | None = None
    speaker: str | None = None
    after: str | None = None  # YYYY-MM-DD, inclusive
    before: str | None = None
