"""Documents that list episodes or carry structured transcripts: feeds, directory pages, JSON, HTML."""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
import re
from html.parser import HTMLParser

import feedparser

from bot.ingest.metadata import find_number, parse_date, parse_duration
from bot.ingest.model import Metadata, ParsedEpisode, ParseError, Segment, Utterance
from bot.ingest.segmenter import sentences
from bot.ingest.text import clean_markup, fold_spaces, normalise_name, parse_timestamp
from bot.ingest.values import checked_int

_DIRECTORY_DATE = re.compile(r"^[A-Z][a-z]{2} \d{1,2}, \d{4}$")
_DURATION_LINE = re.compile(r"^\d{1,2}:\d{2}(?::\d{2})?$")
_FEED_EPISODE_LINK = re.compile(r"/(\d{1,5})(?:/|$)")


MOST_FEED_ITEMS = 5000  # feedparser costs about 1 ms an item: a 100,000-item feed would hold a run for minutes
_ITEM_START = re.compile(r"<(?:item|entry)\b")


def capped_feed(text: str) -> tuple[str, int]:
    """The feed cut after its first MOST_FEED_ITEMS items (the newest, in a feed's usual order),
    and how many items were cut."""
    starts = [m.start() for m in itertools.islice(_ITEM_START.finditer(text), MOST_FEED_ITEMS + 1)]
    if len(starts) <= MOST_FEED_ITEMS:
        return text, 0
    total = MOST_FEED_ITEMS + sum(1 for _ in _ITEM_START.finditer(text, starts[-1]))
    closing = "</feed>" if "<feed" in text[: starts[0]] else "</channel></rss>"
    return text[: starts[-1]] + closing, total - MOST_FEED_ITEMS


def parse_feed(text: str) -> list[ParsedEpisode]:
    """Read an RSS or Atom feed: one episode per item, its show notes as segments."""
    text, _ = capped_feed(text)
    feed = feedparser.parse(text, sanitize_html=False, resolve_relative_uris=False)
    if not feed.entries:
        raise ParseError("a feed with no items")
    show = fold_spaces(feed.feed.get("title", "")) or None
    episodes = []
    keys: set[str] = set()
    for index, entry in enumerate(feed.entries):
        title = fold_spaces(entry.get("title", "")) or None
        notes = clean_markup(_entry_notes(entry))
        meta = Metadata(
            show=show,
            number=_entry_number(entry, title),
            title=_strip_number(title),
            published=_entry_date(entry),
            duration=parse_duration(entry.get("itunes_duration")),
            url=_entry_media(entry),
            description=notes or None,
        )
        key = entry.get("id") or entry.get("link") or f"item-{index}"
        if key in keys:  # a feed that reuses a guid: both items are kept
            key = f"{key}#{index}"
        keys.add(key)
        episodes.append(ParsedEpisode(meta, notes_segments(notes), key=key, from_listing=True))
    return episodes


def _entry_notes(entry: feedparser.FeedParserDict) -> str:
    content = entry.get("content")
    if content:
        return max((part.get("value", "") for part in content), key=len)
    return entry.get("summary", "")


def _entry_number(entry: feedparser.FeedParserDict, title: str | None) -> int | None:
    if (declared := checked_int(entry.get("itunes_episode"))) is not None:
        return declared
    if title and (number := find_number(title)) is not None:
        return number
    link = _FEED_EPISODE_LINK.search(entry.get("link", ""))
    return int(link[1]) if link else None


def _strip_number(title: str | None) -> str | None:
    return re.sub(r"^#\d+\s*[-–:]?\s*", "", title) if title else None


def _entry_date(entry: feedparser.FeedParserDict) -> dt.date | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if parsed:
        return dt.datetime.fromtimestamp(calendar.timegm(parsed), tz=dt.UTC).date()
    return parse_date(entry.get("published"))


def _entry_media(entry: feedparser.FeedParserDict) -> str | None:
    for enclosure in entry.get("enclosures", []):
        if enclosure.get("href"):
            return enclosure["href"]
    return entry.get("link") or None


def notes_segments(notes: str) -> tuple[Segment, ...]:
    """Split show notes into sentence segments without times."""
    return tuple(Segment(text) for text in sentences(notes))


def looks_like_directory(lines: list[str]) -> bool:
    """A podcast-directory page: lines that are only a `Mon DD, YYYY` date, under an `Episode Date` head."""
    dates = sum(1 for line in lines if _DIRECTORY_DATE.match(line.strip()))
    headed = any(line.strip().lower() == "episode date" for line in lines)
    return dates >= 3 or (headed and dates >= 1)


def parse_directory(text: str) -> list[ParsedEpisode]:
    """Read a directory page: title, duration, notes, then the date on a line of its own."""
    lines = [line.strip() for line in text.split("\n")]
    show = next((line for line in lines if line), None)
    start = next((i + 1 for i, line in enumerate(lines) if line.lower() == "episode date"), 0)
    episodes = []
    block: list[str] = []
    for line in lines[start:]:
        if _DIRECTORY_DATE.match(line):
            episode = _directory_entry(block, parse_date(line), show, len(episodes))
            if episode:
                episodes.append(episode)
            block = []
        else:
            block.append(line)
    if not episodes:
        raise ParseError("a directory page with no dated entries")
    return episodes


def _directory_entry(block: list[str], published: dt.date | None, show: str | None, index: int) -> ParsedEpisode | None:
    content = [line for line in block if line]
    if not content:
        return None
    title, rest = content[0], content[1:]
    duration = parse_duration(rest[0]) if rest and _DURATION_LINE.match(rest[0]) else None
    notes = "\n".join(rest[1:] if duration is not None else rest)
    meta = Metadata(
        show=show,
        number=find_number(title),
        title=title,
        published=published,
        duration=duration,
        description=fold_spaces(notes) or None,
    )
    return ParsedEpisode(meta, notes_segments(notes), key=f"entry-{index}-{title}", from_listing=True)


class _TranscriptHTML(HTMLParser):
    """Collects `<cite>Name:</cite> <time>0:00</time> <p>text</p>` transcript markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.utterances: list[Utterance] = []
        self._tag: str | None = None
        self._speaker: str | None = None
        self._time: float | None = None
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("cite", "time", "p"):
            self._tag, self._buffer = tag, []

    def handle_data(self, data: str) -> None:
        if self._tag:
            self._buffer.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag != self._tag:
            return
        value = fold_spaces("".join(self._buffer))
        if tag == "cite":
            self._speaker = normalise_name(value.rstrip(":")) or None
        elif tag == "time":
            self._time = parse_timestamp(value)
        elif value:
            self.utterances.append(Utterance(value, self._time, None, self._speaker, new_turn=True))
        self._tag = None


def parse_transcript_html(text: str) -> list[Utterance]:
    """Read an HTML transcript in the Podcasting 2.0 style."""
    reader = _TranscriptHTML()
    reader.feed(text)
    reader.close()
    if not reader.utterances:
        raise ParseError("HTML without transcript paragraphs")
    return reader.utterances
