"""Where what a file holds enters Rewind: its bytes, its structured data and its values.

Every reader goes through `read_regular` (only regular files, size checked on the open
descriptor), every YAML or JSON document through `load_yaml` / `load_json` (no aliases, bounded
depth), and every value stored through the `checked_*` helpers (ASCII digits within 64 bits,
finite non-negative seconds, http(s) links). Anything else is refused here, once, for every parser.
"""

from __future__ import annotations

import json
import math
import os
import stat
from dataclasses import replace
from pathlib import Path

import yaml

from bot.ingest.model import ParsedEpisode, ParseError, Segment
from bot.urls import checked_url

MAX_INT = 2**63 - 1  # SQLite's INTEGER
MAX_SECONDS = 10_000_000.0  # about 115 days: no recording is longer, and a float this size stays exact to 1 ms
MAX_JSON_DEPTH = 64  # real transcripts nest 3-6 levels
_CONTROLS = dict.fromkeys(
    [c for c in range(0x20) if chr(c) not in "\n\t"] + list(range(0x7F, 0xA0)) + [0x2028, 0x2029], " "
)


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of `path` when it is a regular file of at most `limit` bytes; ParseError otherwise.
    A FIFO, socket or device is refused before it is opened, and opening never blocks (a file swapped
    for a FIFO meanwhile); the size is checked on the open descriptor, then again while reading.
    Which links may be followed is decided where files are listed (`indexer.collect_files`)."""
    try:
        _require_regular(path.stat(), limit)
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(descriptor, "rb") as handle:
            _require_regular(os.fstat(handle.fileno()), limit)
            data = handle.read(limit + 1)
    except OSError as error:
        raise ParseError(f"cannot read: {describe_os_error(error)}") from error
    if len(data) > limit:
        raise ParseError(f"file too large (it grew past {limit:,} bytes while being read)")
    return data


def _require_regular(info: os.stat_result, limit: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise ParseError(f"not a regular file ({file_kind(info.st_mode)}): not read")
    if info.st_size > limit:
        raise ParseError(f"file too large ({_size(info.st_size)}; the limit is {_size(limit)})")


# `stat.filemode`'s first letter: the file's type.
_KINDS = {
    "d": "a folder",
    "p": "a FIFO",
    "s": "a socket",
    "c": "a character device",
    "b": "a block device",
    "l": "a symlink",
}


def file_kind(mode: int) -> str:
    """What a file that is not a regular one is, in words."""
    return _KINDS.get(stat.filemode(mode)[0], "a special file")


def _size(count: int) -> str:
    return f"{count / 1_048_576:.0f} MiB" if count >= 1_048_576 else f"{count / 1024:.0f} KiB"


def describe_os_error(error: OSError) -> str:
    """An OSError as the operator needs it: what went wrong, without a Python class name."""
    if error.errno == getattr(os, "ELOOP", None):
        return "a symlink (or a symlink loop): not followed"
    return error.strerror or str(error)


class _SafeYamlLoader(yaml.SafeLoader):
    """YAML without aliases (no billion-laughs); a date that is no real date or a 5,000-digit
    integer stays text for the `checked_*` helpers: a bad value, not a crash."""

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None, None, "uses a YAML alias (*name), which Rewind does not expand", self.peek_event().start_mark
            )
        return super().compose_node(parent, index)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int | str:
        """An integer of at most 20 characters; a longer one stays text (int() of 5,000 digits raises)."""
        text = self.construct_scalar(node)
        return super().construct_yaml_int(node) if len(text) <= 20 else text

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> object:
        """A real date or time; `2020-02-30` stays text for `parse_date` to refuse."""
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return self.construct_scalar(node)


_SafeYamlLoader.add_constructor("tag:yaml.org,2002:int", _SafeYamlLoader.construct_yaml_int)
_SafeYamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _SafeYamlLoader.construct_yaml_timestamp)


def load_yaml(text: str) -> object:
    """Parse YAML safely; ParseError (with the line) for aliases or malformed text."""
    try:
        return yaml.load(text, Loader=_SafeYamlLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).split("\n")[0]
        raise ParseError(f"invalid YAML{where}: {problem}") from error
    except RecursionError as error:
        raise ParseError("invalid YAML: nested too deeply") from error


def load_json(text: str) -> object:
    """Parse JSON nested at most MAX_JSON_DEPTH levels; ParseError otherwise."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ParseError(f"invalid JSON: {error.msg} at line {error.lineno}") from error
    except RecursionError as error:
        raise ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from error
    if _depth_over(data, MAX_JSON_DEPTH):
        raise ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return data


def _depth_over(data: object, limit: int) -> bool:
    level = [data]
    for _ in range(limit + 1):
        level = [
            child
            for value in level
            if isinstance(value, dict | list)
            for child in (value.values() if isinstance(value, dict) else value)
            if isinstance(child, dict | list)
        ]
        if not level:
            return False
    return True


def checked_int(value: object) -> int | None:
    """A count or an episode number: an int, or ASCII digits, from 0 to 2**63 - 1; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= MAX_INT else None
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit() and len(text) <= 19:
            number = int(text)
            return number if number <= MAX_INT else None
    return None


def checked_seconds(value: object) -> float | None:
    """A time in a recording: finite, from 0 to MAX_SECONDS; else None."""
    if type(value) is float:  # what every parser gives: NaN and infinities fail the comparison
        return value if 0 <= value <= MAX_SECONDS else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        seconds = float(value)
    except OverflowError:
        return None
    return seconds if math.isfinite(seconds) and 0 <= seconds <= MAX_SECONDS else None


def checked_span(start: object, end: object) -> tuple[float | None, float | None]:
    """A start and an end as `checked_seconds`, the end never before the start."""
    first, last = checked_seconds(start), checked_seconds(end)
    if first is not None and last is not None and last < first:
        last = first
    return first, last


def checked_text(value: str | None, limit: int | None = None) -> str | None:
    """Text with control characters (terminal escapes among them) turned into spaces; None if blank."""
    if value is None:
        return None
    text = value.translate(_CONTROLS).strip()
    return (text[:limit] if limit else text) or None


def printable(text: str) -> str:
    """A file name or a reason as safe to print in a terminal or a log: controls, bidi marks, line
    separators, undecodable bytes, anything not printable escaped (`\\x1b`, `\\u202e`, `\\udcff`)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode() for c in text)


def is_utf8_name(text: str) -> bool:
    """Whether a name from the file system was valid UTF-8 (Python keeps bad bytes as surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def checked_episode(episode: ParsedEpisode) -> tuple[ParsedEpisode, list[str]]:
    """The episode with every value in its range, whichever parser made it, and what was dropped:
    the one place a parsed value enters the store. NaN, infinite or negative times never do."""
    problems = []
    meta = episode.meta
    url = checked_url(meta.url)
    if meta.url is not None and url is None:
        problems.append(f"link {printable(meta.url[:60])!r} is not an http(s) address: dropped")
    checked_meta = replace(
        meta,
        show=checked_text(meta.show, 300),
        number=checked_int(meta.number),
        title=checked_text(meta.title, 500),
        duration=checked_seconds(meta.duration),
        url=url,
        description=checked_text(meta.description),
    )
    segments, dropped = _checked_segments(episode.segments)
    if dropped:
        problems.append(f"{dropped} time(s) that were not finite, negative or past {MAX_SECONDS:,.0f} s dropped")
    chapters = tuple((start, title) for start, title in episode.chapters if checked_seconds(start) is not None)
    if segments is episode.segments and checked_meta == meta and chapters == episode.chapters:
        return episode, problems
    return replace(episode, meta=checked_meta, segments=segments, chapters=chapters), problems


def _checked_segments(segments: tuple[Segment, ...]) -> tuple[tuple[Segment, ...], int]:
    dropped = 0
    checked = []
    for segment in segments:
        start, end = checked_span(segment.start, segment.end)
        dropped += (start is None and segment.start is not None) + (end is None and segment.end is not None)
        text, speaker = segment.text, segment.speaker
        if not text.isprintable():
            text = checked_text(text) or ""
        if speaker is not None and not speaker.isprintable():
            speaker = checked_text(speaker, 100)
        if (start, end, text, speaker) != (segment.start, segment.end, segment.text, segment.speaker):
            segment = Segment(text, start, end, speaker)
        if segment.text:
            checked.append(segment)
    if len(checked) == len(segments) and all(a is b for a, b in zip(checked, segments, strict=True)):
        return segments, dropped
    return tuple(checked), dropped
