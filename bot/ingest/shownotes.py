"""Show notes that time their topics (`2:18 - Topic`, `(00:00:47) Topic`, `* **[00:10](#t=00:10)** Topic`,
a front matter `chapters:` list): an episode with notes, each topic a chapter at its own time."""

from __future__ import annotations

import itertools
import re
import statistics
from collections.abc import Mapping

from bot.ingest.lines import Line, clean_words, read_line
from bot.ingest.text import fold_spaces, parse_timestamp

ChapterMark = tuple[float, str]
MOST_TOPIC_WORDS = 15
_BLOCK = re.compile(r"</?(?:p|br|div|li|ul|ol|h[1-6]|tr|blockquote|section|hr)\b[^>]{0,200}>", re.IGNORECASE)
_LIST = re.compile(r"^[*\-•+]\s+")
_LIST_STARTS = tuple("*-•+")
_MAY_BE_TOPIC = re.compile(r"^\s*(?:[*\-•+]\s*)*(?:\*\*)?[\[(]?\d")  # a cheap look before the full read
_FRONT_KEYS = ("chapters", "chapter", "topics", "timestamps")
_START_KEYS = ("start", "startTime", "start_time", "time", "timestamp")


def notes_text(body: str) -> str:
    """Block tags become line breaks, so HTML notes read line by line."""
    return _BLOCK.sub("\n", body) if "<" in body else body


def topic_lines(body: str, known: Mapping[str, Line] | None = None) -> list[ChapterMark]:
    """Lines that are a stamp and a short topic title (or a stamp line over its title), in time order;
    `known` holds lines read already (`LineScan.read`), so a transcript's lines are not read twice."""
    known = known or {}
    marks = []
    pending: float | None = None  # a stamp alone on its line: the title is the next line
    for raw in notes_text(body).split("\n"):
        if pending is None and not _MAY_BE_TOPIC.match(raw):
            continue
        line = clean_words(raw)
        if line[:1] in _LIST_STARTS:
            line = _LIST.sub("", line)
        if not line:
            continue
        parsed = known.get(line) or read_line(line) if line[:1].isdigit() or line[:1] in "[(" else None
        if parsed is not None and parsed.speaker is None and parsed.stamp is not None:
            stamp, title = parsed.stamp, parsed.text.strip(" -–—:|")
        elif pending is not None:
            stamp, title = pending, line
        else:
            continue
        pending = None if title else stamp
        if title and title.count(" ") < MOST_TOPIC_WORDS:  # clean_words left one space between words
            marks.append((stamp, title))
    return marks


def front_chapters(data: dict) -> list[ChapterMark]:
    """A front matter list of `{start, title}` entries."""
    entries = next((data[key] for key in _FRONT_KEYS if isinstance(data.get(key), list)), [])
    marks = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        start = next((entry[key] for key in _START_KEYS if key in entry), None)
        seconds = float(start) if isinstance(start, int | float) else _clock(start)
        title = fold_spaces(str(entry.get("title") or entry.get("name") or ""))
        if seconds is not None and title:
            marks.append((seconds, title))
    return marks


def _clock(value: object) -> float | None:
    if isinstance(value, str):
        return parse_timestamp(value)
    return None


def are_topics(marks: list[ChapterMark], timed_lines: int) -> bool:
    """Topic stamps are few, far apart and label most of the timed lines."""
    if len(marks) < 3 or len(marks) < 0.5 * timed_lines:
        return False
    starts = sorted(start for start, _ in marks)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    return statistics.median(gaps) >= 30
