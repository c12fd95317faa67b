"""Plain data passed between the parsers, the indexer and the store."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields


@dataclass(frozen=True, slots=True)
class Segment:
    """What a search hit shows: roughly a sentence or a speaker turn."""

    text: str
    start: float | None = None
    end: float | None = None
    speaker: str | None = None


@dataclass(frozen=True, slots=True)
class Utterance(Segment):
    """One raw unit as a format delivers it (a cue, a timestamped line, a speaker turn): the
    segmenter joins or splits them into segments."""

    new_turn: bool = False  # a speaker change is marked here even when the name is unknown


@dataclass(frozen=True, slots=True)
class Metadata:
    """Episode facts found in a document; None where the document is silent."""

    show: str | None = None
    number: int | None = None
    title: str | None = None
    published: dt.date | None = None
    duration: float | None = None
    url: str | None = None
    description: str | None = None
    published_partial: str | None = None  # `2019`, `2020-03`: all a document said; never a full date

    def merged_over(self, base: Metadata) -> Metadata:
        """Return these facts, falling back to `base` wherever this one is silent."""
        values = {}
        for f in fields(Metadata):
            mine = getattr(self, f.name)
            values[f.name] = mine if mine is not None else getattr(base, f.name)
        return Metadata(**values)


@dataclass(frozen=True, slots=True)
class ParsedEpisode:
    """One episode as read from a document, before it is stored."""

    meta: Metadata
    segments: tuple[Segment, ...]
    real_speakers: bool = False
    key: str = ""  # distinguishes several episodes in one document (feed items)
    from_listing: bool = False  # from a feed or directory page rather than a transcript
    show_origin: str = "explicit"  # explicit | text | folder
    title_origin: str = "explicit"  # explicit | derived
    published_origin: str = "explicit"  # explicit | recorded
    chapters: tuple[tuple[float, str], ...] = ()  # topics the document itself times (TRS topics, show notes)


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """Everything one file yielded."""

    format: str
    episodes: tuple[ParsedEpisode, ...]
    warnings: tuple[str, ...] = field(default=())


class ParseError(ValueError):
    """A file could not be read as a transcript; the message says why, for the operator."""
