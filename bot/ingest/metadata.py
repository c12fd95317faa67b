"""Episode facts stated inside documents: numbers, dates, links, titles, show names."""

from __future__ import annotations

import datetime as dt
import re
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
    re.compile(r"\bThis is ([A-Z][\w'’ ]{2,40}?),? episode\b"),
    re.compile(r"\bthis is the ([\w'’ ]{3,40}? podcast)\b", re.IGNORECASE),
    re.compile(r"\bWelcome to the ([A-Z][\w'’]*(?: [A-Z][\w'’]*){0,4}) podcast\b"),
)
_FILE_NUMBER = re.compile(r"^(?:ep(?:isode)?[_ -]?)?(\d{1,5})[-_ ]+(?=[a-z])", re.IGNORECASE)
_TRAILING_NUMBER = re.compile(
    r"^(?P<name>[a-z][\w-]*?)[-_ ]?(?:ep(?:isode)?[-_ ]?)?(?P<number>\d{1,5})$", re.IGNORECASE
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
    return parse_date(re.sub(r"(\d)(st|nd|rd|th)", r"\1", match[1])) if match else None


def _show(text: str) -> str | None:
    for pattern in _SHOW_PATTERNS:
        match = pattern.search(text)
        if match:
            name = match[1].strip()
            return name.title() if name.islower() else name
    return None


def parse_date(value: object) -> dt.date | None:
    """Read a date from a string or date-like value; None when it is not one."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return dateparser.parse(value.strip(), fuzzy=False).date()
    except (ValueError, OverflowError):
        return None


def metadata_from_path(path: Path) -> Metadata:
    """Derive a fallback title, number and show from a file's name and folder."""
    stem = re.sub(r"[._-](small|large|medium|tiny|base|original|youtube|en)$", "", path.stem, flags=re.I)
    trailing = _TRAILING_NUMBER.match(stem)
    if trailing:  # `practical-ai-1`: the show's name and a number, no title
        return Metadata(show=show_from_folder(path.parent), number=int(trailing["number"]))
    match = _FILE_NUMBER.match(stem)
    slug = stem[match.end() :] if match else stem
    words = [w for w in re.split(r"[-_ ]+", slug) if w]
    meaningful = [w for w in words if not _HEXISH.match(w) and not w.isdigit()]
    if not meaningful:  # `002_f927fa2ca80fe165`: a serial and a hash, not an episode name
        return Metadata(show=show_from_folder(path.parent))
    title = " ".join(meaningful).capitalize()
    number = int(match[1]) if match else None
    return Metadata(show=show_from_folder(path.parent), number=number, title=title)


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
    if text.isdigit():
        return float(text)
    parts = text.split(":")
    if 2 <= len(parts) <= 3 and all(p.isdigit() for p in parts):
        seconds = 0
        for part in parts:
            seconds = seconds * 60 + int(part)
        return float(seconds)
    return None
