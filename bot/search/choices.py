"""Autocomplete suggestions for shows, episodes and speakers: at most 25, each at most 100 characters."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process

from storage import Store

MAX_CHOICES = 25
MAX_CHOICE_LENGTH = 100


@dataclass(frozen=True, slots=True)
class Choice:
    """What the member sees (`name`) and what the command receives (`value`)."""

    name: str
    value: str


def _clip(text: str) -> str:
    return text if len(text) <= MAX_CHOICE_LENGTH else text[: MAX_CHOICE_LENGTH - 1] + "…"


def rank_choices(typed: str, options: dict[str, str], limit: int = MAX_CHOICES) -> list[Choice]:
    """Options (value -> label) best matching `typed`; the first `limit` labels when nothing is typed."""
    limit = min(limit, MAX_CHOICES)
    if not typed.strip():
        return [Choice(_clip(label), _clip(value)) for value, label in list(options.items())[:limit]]
    labels = {value: label.casefold() for value, label in options.items()}
    found = process.extract(typed.casefold(), labels, scorer=fuzz.WRatio, limit=limit, score_cutoff=40)
    return [Choice(_clip(options[value]), _clip(value)) for _, _, value in found]


class Suggester:
    """Cached names from the store, refreshed when the index changes."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._marker: tuple[int, int] | None = None
        self._shows: dict[str, str] = {}
        self._episodes: dict[str, str] = {}
        self._speakers: dict[str, str] = {}

    async def _refresh(self) -> None:
        marker = await self.store.change_marker()
        if marker == self._marker:
            return
        self._shows = {title: title for _, title in await self.store.show_titles()}
        self._episodes = {
            f"id:{row_id}": " · ".join(
                part for part in (show, f"#{number}" if number is not None else None, title) if part
            )
            for row_id, title, number, show in await self.store.episode_titles()
        }
        self._speakers = {name: name for name in await self.store.speaker_names()}
        self._marker = marker

    async def shows(self, typed: str) -> list[Choice]:
        """Shows whose title matches what was typed."""
        await self._refresh()
        return rank_choices(typed, self._shows)

    async def episodes(self, typed: str) -> list[Choice]:
        """Episodes by number or fuzzy title; the value is `id:N`, which the episode filter reads."""
        await self._refresh()
        return rank_choices(typed, self._episodes)

    async def speakers(self, typed: str) -> list[Choice]:
        """Real speakers whose name matches what was typed."""
        await self._refresh()
        return rank_choices(typed, self._speakers)
