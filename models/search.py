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


Group = tuple[str, ...]  # any one of these index terms


@dataclass(frozen=True, slots=True)
class TermQuery:
    """Which segments to fetch, in index terms (`models.text.tokens`), for storage to render in
    its engine's own query language: those holding a term of every group, every phrase (its terms
    adjacent and in order), every `near` term within `within` tokens of each other (in any order;
    an engine without proximity may ask for them anywhere in the segment) and, when there are
    alternatives, every group of at least one of them."""

    groups: tuple[Group, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    alternatives: tuple[tuple[Group, ...], ...] = ()
    near: tuple[str, ...] = ()
    within: int = 0


@dataclass(frozen=True, slots=True)
class IndexVersion:
    """Changes whenever the index changes. `own` counts commits through this store object, so a
    cache sees its own process's writes at once; `shared` changes with a commit by any process."""

    own: int
    shared: int
