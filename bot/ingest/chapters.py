"""Podcasting 2.0 chapter files (`NAME.chapters.json` beside a transcript).

The format (podcastindex.org's JSON Chapters): `{"version": "1.2.0", "chapters": [{"startTime": 0,
"title": "Intro"}, ...]}`; chapters marked `"toc": false` are not part of the table of contents.
"""

from __future__ import annotations

from pathlib import Path

from bot.ingest.model import ParseError
from bot.ingest.values import checked_seconds, checked_text, load_json, printable, read_regular

CHAPTERS_SUFFIX = ".chapters.json"
MOST_CHAPTERS = 100
TITLE_CHARACTERS = 100
MAX_BYTES = 1_048_576

ChapterMark = tuple[float, str]  # start seconds, title


def read_chapters(path: Path) -> tuple[ChapterMark, ...]:
    """The table of contents of a chapters file, in time order; ParseError says what is wrong."""
    name = printable(path.name)
    try:
        data = load_json(read_regular(path, MAX_BYTES).decode("utf-8-sig"))
    except (ParseError, UnicodeDecodeError) as error:
        raise ParseError(f"chapters file {name} unreadable: {error}") from error
    entries = data.get("chapters") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ParseError(f"chapters file {name} has no 'chapters' list")
    marks = {}
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("toc") is False:
            continue
        start, title = checked_seconds(entry.get("startTime")), entry.get("title")
        if start is not None and isinstance(title, str):
            marks.setdefault(start, checked_text(" ".join(title.split()), TITLE_CHARACTERS) or "Chapter")
    if not marks:
        raise ParseError(f"chapters file {name} has no chapter with a startTime and a title")
    return tuple(sorted(marks.items()))[:MOST_CHAPTERS]
