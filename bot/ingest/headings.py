"""A transcript's own section headings (`## Topic` lines in Markdown) as its chapters."""

from __future__ import annotations

import re

from bot.ingest.text import fold_spaces, parse_timestamp

_HEADING = re.compile(r"^#{1,3}\s+(?P<title>\S.{0,150}?)\s*#*\s*$")
_STAMP = re.compile(r"\[?\b(\d{1,2}:\d{2}(?::\d{2})?)\b\]?")
SIGNS = 40  # a timestamp that times a heading's section sits in the first characters of a line


def timed_headings(body: str) -> tuple[tuple[float, str], ...]:
    """Each heading with the time of the first timestamp after it (a turn's `Name: 00:02:57`);
    nothing unless at least two headings are timed, in time order."""
    if "#" not in body:  # no heading: the common case, not worth a pass over every line
        return ()
    found: list[tuple[float, str]] = []
    pending: list[str] = []
    for line in body.split("\n"):
        heading = _HEADING.match(line.strip())
        if heading:
            pending.append(fold_spaces(heading["title"].strip("*_ ")))
            continue
        stamp = _STAMP.search(line[:SIGNS]) if pending else None
        seconds = parse_timestamp(stamp[1]) if stamp else None
        if seconds is not None:
            found.extend((seconds, title) for title in pending if title)
            pending = []
    times = [t for t, _ in found]
    return tuple(found) if len(found) >= 2 and times == sorted(times) else ()
