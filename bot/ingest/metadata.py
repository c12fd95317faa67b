"""Episode facts stated inside documents: numbers, dates, links, titles, show names."""

from __future__ import annotations

import datetime as dt
import re
import string
from pathlib import Path

from dateutil import parser as dateparser

from bot.ingest.model import Metadata

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_RECORDED = re.compile(
    rf"\brecorded\s+(?:on\s+)?(?:\w+day,?\s+)?((?:{_MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})",
    re.IGNORECASE,
)
_NUMBER_PATTERNS = (
    re.compile(r"\bepisode\s+(?:number\s+|no\.?\s*|#\s*)?(\d{1,5})\b", re.IGNORECASE),
    re.compile(r"\(Ep\.?\s*(\d{1,5})\)", re.IGNORECASE),
    re.compile(r"^#(\d{1,5})\b"),
    re.compile(r"/episodes?/(?:show/)?(\d{1,5})\b"),
)
_WORD_NUMBERS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_WORD_NUMBER = re.compile(r"\bepisode\s+(?:number\s+)?(" + "|".join(_WORD_NUMBERS) + r")\b", re.IGNORECASE)
_SHOW_PATTERNS = (
    re.compile(r"\bThis is ([A-Z0-9][\w'’%& ]{2,40}?),? episode\b"),
    re.compile(r"\bthis is the ([\w'’%& ]{3,40}? podcast)\b", re.IGNORECASE),
    re.compile(r"\bwelcome to the ([\w'’%&]+(?: [\w'’%&]+){0,4} podcast)\b", re.IGNORECASE),
    re.compile(
        r"\b(?i:welcome to) ([A-Z0-9][\w'’%&]*(?: [A-Z0-9][\w'’%&]*){0,4}),? (?:a|the) (?:\w+ )?(?:podcast|show)\b"
    ),
    re.compile(r"\bwelcome to ([a-z][\w'’%&]*(?: [\w'’%&]+){0,3}?),? where (?:we|you)\b", re.IGNORECASE),
    re.compile(r"^\W*(?i:(?:hi|hello)\W+)?(?i:this is) ([A-Z]*\d[\w'’%&]*%?(?: [A-Z][\w'’%&]*){0,3})[.!,]"),
)
_NOT_IN_SHOW_NAMES = frozenset("this that my our your of first best live recording episode".split())
_FILE_NUMBER = re.compile(r"^(?:[a-z]+[-_])?(?:ep(?:isode)?[_ -]?)?(\d{1,5})[-_ ]+(?=[a-z])", re.IGNORECASE)
_TRAILING_NUMBER = re.compile(
    r"^(?P<name>[a-z][\w-]*?)[-_ ]?(?:ep(?:isode)?[-_ ]?)?(?<!\d)(?P<number>\d{1,5})$", re.IGNORECASE
)
_ORDINAL = re.compile(r"(?<=\d)(?:st|nd|rd|th)\b", re.IGNORECASE)
_YEAR = re.compile(r"^(?:19|20)\d{2}$")
_DEFAULTS = (dt.datetime(2001, 1, 1, tzinfo=dt.UTC), dt.datetime(2002, 2, 2, tzinfo=dt.UTC))
_NAME_SUFFIXES = re.compile(r"(?:\.[A-Za-z][\w]{0,24})+$")  # `.transcription__base.json`, `.en.json.xz`
_NAME_DATE = re.compile(
    rf"(?:19|20)\d{{2}}[-_]\d{{2}}[-_]\d{{2}}|(?i:(?:{_MONTHS}|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec))"
    r"[-_ ]\d{1,2}[-_ ,]+(?:19|20)\d{2}"
)
_HEXISH = re.compile(r"^[0-9a-f]{8,}$")
_NUMBERED_FOLDER = re.compile(r"^(?:session|part|season|s|disc|day|track|vol)?[-_ ]?\d+$", re.IGNORECASE)
GENERIC_FOLDERS = frozenset(
    [
        "transcripts",
        "transcript",
        "captions",
        "subtitles",
        "subs",
        "vtt",
        "srt",
        "txt",
        "seeds",
        "data",
        "docs",
        "examples",
        "youtube_transcripts",
        "files",
        "episodes",
        "feeds",
        "rss",
    ]
)


def metadata_from_text(text: str) -> Metadata:
    """Find number, show and recording date in the opening of a transcript."""
    opening = text[:4000]
    return Metadata(show=_show(opening), number=find_number(opening), published=_recorded(opening))


def find_number(text: str) -> int | None:
    """The episode number a title or an intro states, if any."""
    for pattern in _NUMBER_PATTERNS:
        match = pattern.search(text)
        if match:
            return int(match[1])
    word = _WORD_NUMBER.search(text)
    return _WORD_NUMBERS[word[1].lower()] if word else None


def _recorded(text: str) -> dt.date | None:
    match = _RECORDED.search(text)
    return parse_date(match[1]) if match else None


def _show(text: str) -> str | None:
    for pattern in _SHOW_PATTERNS:
        for match in pattern.finditer(text):
            name = match[1].strip()
            if not _NOT_IN_SHOW_NAMES & set(name.casefold().split()):  # as said: `python bytes` is Python Bytes
                return " ".join(word[:1].upper() + word[1:] for word in name.split())
    return None


def parse_date(value: object) -> dt.date | None:
    """A full date from a string, an epoch number or a date value; None when a day is not stated."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _epoch(float(value))
    if not isinstance(value, str) or not value.strip():
        return None
    text = _ORDINAL.sub("", value.strip())
    if text.isascii() and text.isdigit() and len(text) in (10, 13):
        return _epoch(float(text))
    parsed = _parse_twice(text)
    if parsed is None or parsed[0] != parsed[1]:  # a part was filled in from a default, not stated
        return None
    return parsed[0].date()


def partial_date(value: object) -> str | None:
    """`2019` or `2020-03` when a date states only its year or its month; None otherwise."""
    if not isinstance(value, str | int) or isinstance(value, bool) or parse_date(value) is not None:
        return None
    text = _ORDINAL.sub("", str(value).strip())
    if _YEAR.match(text):
        return text
    parsed = _parse_twice(text)
    if parsed is None:
        return None
    first, second = parsed
    if first.year == second.year and first.month == second.month:
        return f"{first.year:04d}-{first.month:02d}"
    return f"{first.year:04d}" if first.year == second.year else None


def _parse_twice(text: str) -> tuple[dt.datetime, dt.datetime] | None:
    """Parse with two different defaults: a part that differs between them was never stated."""
    try:
        return (
            dateparser.parse(text, default=_DEFAULTS[0], fuzzy=False),
            dateparser.parse(text, default=_DEFAULTS[1], fuzzy=False),
        )
    except (ValueError, OverflowError):
        return None


def _epoch(seconds: float) -> dt.date | None:
    if seconds > 1e11:  # milliseconds
        seconds /= 1000
    if not 631_152_000 <= seconds <= 4_102_444_800:  # 1990 to 2100: anything else is no publication date
        return None
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).date()


def metadata_from_path(path: Path) -> Metadata:
    """Derive a fallback title, number, date and show from a file's name and folder."""
    show = show_from_folder(path.parent)
    stem = _NAME_SUFFIXES.sub("", path.name) or path.stem
    stem = re.sub(r"[._-](small|large|medium|tiny|base|original|youtube|en)$", "", stem, flags=re.I)
    dated = _NAME_DATE.search(stem)
    published = parse_date(dated[0].replace("_", "-")) if dated else None
    if dated:
        stem = (stem[: dated.start()] + stem[dated.end() :]).strip("-_ ")
    trailing = None if dated else _TRAILING_NUMBER.match(stem)
    if trailing:  # `practical-ai-1`: the show's name and a number, no title
        return Metadata(show=show, number=int(trailing["number"]), published=published)
    match = _FILE_NUMBER.match(stem)
    slug = stem[match.end() :] if match else stem
    words = [w for w in re.split(r"[-_ ]+", slug) if w]
    meaningful = [w for w in words if not _HEXISH.match(w)]
    if not any(not w.isdigit() for w in meaningful):  # `002_f927fa2ca80fe165`: a serial and a hash, no name
        return Metadata(show=show, published=published)
    number = int(match[1]) if match else None
    return Metadata(show=show, number=number, title=string.capwords(" ".join(meaningful)), published=published)


def show_from_folder(folder: Path) -> str | None:
    """Name a show after the nearest folder whose name is not a generic one."""
    for part in (folder, *folder.parents):
        if (name := folder_show_name(part)) is not None:
            return name
    return None


def folder_show_name(folder: Path) -> str | None:
    """This folder's name as a show name; None for `transcripts`, `session1` and the like."""
    name = folder.name
    if not name or name.lower() in GENERIC_FOLDERS or _NUMBERED_FOLDER.match(name):
        return None
    return re.sub(r"[-_]+", " ", name).strip().title()


def parse_duration(value: object) -> float | None:
    """Seconds from `4382`, `01:03:23` or `20:33`; None otherwise."""
    if value is None:
        return None
    text = str(value).strip()
    if not text.isascii() or len(text) > 12:  # `²` is a digit to str.isdigit, not to int(); 12 digits is 31,000 years
        return None
    if text.isdigit():
        return float(text)
    parts = text.split(":")
    if 2 <= len(parts) <= 3 and all(p.isdigit() for p in parts):
        seconds = 0
        for part in parts:
            seconds = seconds * 60 + int(part)
        return float(seconds)
    return None
