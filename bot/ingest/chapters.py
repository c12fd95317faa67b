"""Podcasting 2.0 chapter files (`NAME.chapters.json` beside a transcript).

The format (podcastindex.org's JSON Chapters): `{"version": "1.2.0", "chapters": [{"startTime": 0,
"title": "Intro"}, ...]}`; chapters marked `"toc": false` are not part of the table of contents.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from bot.ingest.model import ParseError

CHAPTERS_SUFFIX = ".chapters.json"
MOST_CHAPTERS = 100
TITLE_CHARACTERS = 100
MAX_BYTES = 1_048_576

ChapterMark = tuple[float, str]  # start seconds, title


def read_chapters(path: Path) -> tuple[ChapterMark, ...]:
    """The table of contents of a chapters file, in time order; ParseError says what is wrong."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ParseError(f"chapters file {path.name} is over 1 MiB")
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ParseError(f"chapters file {path.name} unreadable: {error}") from error
    entries = data.get("chapters") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ParseError(f"chapters file {path.name} has no 'chapters' list")
    marks = {}
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("toc") is False:
            continue
        start, title = entry.get("startTime"), entry.get("title")
        if isinstance(start, int | float) and math.isfinite(start) and start >= 0 and isinstance(title, str):
            marks.setdefault(float(start), " ".join(title.split())[:TITLE_CHARACTERS] or "Chapter")
    if not marks:
        raise ParseError(f"chapters file {path.name} has no chapter with a startTime and a title")
    return tuple(sorted(marks.items()))[:MOST_CHAPTERS]
