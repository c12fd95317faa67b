"""Episodes and segments as they are written to the index and read back from it."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

SegmentRow = tuple[float | None, float | None, str | None, str]  # start, end, speaker, text


@dataclass(frozen=True, slots=True)
class EpisodeFacts:
    """What the store keeps of a document's own word on an episode, and where each fact came from."""

    show: str | None
    show_origin: str  # explicit | text | folder | listing
    number: int | None
    title: str | None
    title_origin: str  # explicit | derived
    published: str | None  # YYYY-MM-DD
    duration: float | None
    url: str | None
    description: str | None
    from_listing: bool
    opening: str = ""  # the first words of the transcript, to recognise a show named in its intro
    published_origin: str = "explicit"  # explicit | recorded (a recording date read from the intro)
    folder: str = ""  # the transcript's folder: episodes in one folder belong to one show
    folder_show: str | None = None  # that folder's own name as a show, unless it is a generic name
    chapters: tuple[tuple[float, str], ...] = ()  # from a chapters file or the document's own topics: start, title
    published_partial: str | None = None  # `2019`, `2020-03` when the document gives no full date


@dataclass(frozen=True, slots=True)
class LinkedEpisode:
    """The facts an episode row shows after joining; `merged_into` hides a feed item."""

    id: int
    facts: EpisodeFacts
    title: str  # the title shown: the facts' own, or one made from the number
    merged_into: int | None = None


@dataclass(frozen=True, slots=True)
class EpisodeRecord:
    """One episode to store. Segments are plain tuples: they cross a process boundary, and
    pickling a million dataclass instances took longer than writing them (measured: 9.6 s)."""

    source_path: str
    item_key: str
    format: str
    facts: EpisodeFacts
    speakers: tuple[str, ...]
    segments: list[SegmentRow]


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One file's outcome in an index run."""

    path: str
    shown_path: str
    content_hash: str
    status: str  # indexed | twin | rejected
    format: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Episode:
    """An episode as Rewind names it, once linked: what a listing, its summary and its text share."""

    id: int
    show: str | None
    number: int | None
    title: str
    published: str | None  # YYYY-MM-DD
    duration_seconds: float | None
    url: str | None
    speakers: Sequence[str]  # the real speakers, not "Speaker 1": a list as listed, a tuple in a summary


def episode_fields(episode: Episode, **changes: object) -> dict[str, object]:
    """An episode's own fields (of an `Episode` or of anything built on one), as keyword
    arguments for another model built on `Episode`."""
    return {field.name: getattr(episode, field.name) for field in dataclasses.fields(Episode)} | changes


@dataclass(frozen=True, slots=True)
class EpisodeRow(Episode):
    """An episode as the CLI and the bot list it."""

    source: str
    format: str
    segments: int

    def as_json(self) -> dict[str, object]:
        """The public JSON shape of `rewind episodes --json`."""
        shown = dataclasses.asdict(self)
        shown["speakers"] = list(shown.pop("speakers"))  # last, as it always was
        return shown


@dataclass(frozen=True, slots=True)
class Candidate:
    """A segment that matched a search, with its neighbours and its episode."""

    segment_id: int
    episode_id: int
    position: int
    start_seconds: float | None
    speaker: str | None
    text: str
    rank: float
    before: str | None
    after: str | None
    show: str | None
    title: str
    number: int | None
    published: str | None
    url: str | None
    source: str
