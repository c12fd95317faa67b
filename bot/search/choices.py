"""Autocomplete suggestions for shows, episodes and speakers: at most 25, each at most 100 characters."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.limits import MAX_CHOICE_LENGTH, MAX_CHOICES, clip
from bot.ports import NamesStore
from models.search import IndexVersion


@dataclass(frozen=True, slots=True)
class Choice:
    """What the member sees (`name`) and what the command receives (`value`)."""

    name: str
    value: str

    @classmethod
    def clipped(cls, name: str, value: str) -> Choice:
        """A choice whose name and value both fit Discord's 100 characters."""
        return cls(clip(name, MAX_CHOICE_LENGTH), clip(value, MAX_CHOICE_LENGTH))


def rank_choices(
    typed: str, options: dict[str, str], limit: int = MAX_CHOICES, *, match: dict[str, str] | None = None
) -> list[Choice]:
    """Options (value -> label) best matching `typed`; the first `limit` labels when nothing is typed.

    `match` (value -> text) is what `typed` is scored against when that is not the label itself:
    WRatio scales a partial match down with the length ratio, so scoring a long label would rank
    a short label's loose match above a long one's exact words.
    """
    limit = min(limit, MAX_CHOICES)
    if not typed.strip():
        return [Choice.clipped(label, value) for value, label in list(options.items())[:limit]]
    texts = {value: (match or options)[value].casefold() for value in options}
    found = process.extract(typed.casefold(), texts, scorer=fuzz.WRatio, limit=limit, score_cutoff=40)
    return [Choice.clipped(options[value], value) for _, _, value in found]


class Suggester:
    """Cached names from the store, refreshed when the index changes."""

    def __init__(self, store: NamesStore) -> None:
        self.store = store
        self._marker: IndexVersion | None = None
        self._shows: dict[str, str] = {}
        self._episodes: dict[str, str] = {}
        self._episode_titles: dict[str, str] = {}
        self._episode_numbers: dict[str, int | None] = {}
        self._speakers: dict[str, str] = {}

    async def _refresh(self) -> None:
        marker = await self.store.change_marker()
        if marker == self._marker:
            return
        self._shows = {title: title for _, title in await self.store.show_titles()}
        rows = await self.store.episode_titles()
        self._episodes = {
            f"id:{row_id}": " · ".join(
                part for part in (show, f"#{number}" if number is not None else None, title) if part
            )
            for row_id, title, number, show in rows
        }
        self._episode_titles = {f"id:{row_id}": title for row_id, title, _, _ in rows}
        self._episode_numbers = {f"id:{row_id}": number for row_id, _, number, _ in rows}
        self._speakers = {name: name for name in await self.store.speaker_names()}
        self._marker = marker

    async def shows(self, typed: str) -> list[Choice]:
        """Shows whose title matches what was typed."""
        await self._refresh()
        return rank_choices(typed, self._shows)

    async def episodes(self, typed: str) -> list[Choice]:
        """Episodes by number (`17`, `#17`: that number first) or fuzzy title; the value is `id:N`,
        which the episode filter reads."""
        await self._refresh()
        number = typed.strip().lstrip("#")
        numbered = [value for value, n in self._episode_numbers.items() if number.isdigit() and n == int(number)]
        by_title = rank_choices(typed, self._episodes, match=self._episode_titles)
        first = [Choice(clip(self._episodes[value], MAX_CHOICE_LENGTH), value) for value in numbered]
        return [*first, *(c for c in by_title if c.value not in numbered)][:MAX_CHOICES]

    async def speakers(self, typed: str) -> list[Choice]:
        """Real speakers whose name matches what was typed."""
        await self._refresh()
        return rank_choices(typed, self._speakers)
