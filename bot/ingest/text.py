"""Small text helpers shared by the parsers."""

from __future__ import annotations

import html
import re

_TIMESTAMP = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?$")
_TAG = re.compile(r"<[^>\n]{0,200}>")
_ASS_OVERRIDE = re.compile(r"\{\\[^}]*\}")
_SPACES = re.compile(r"\s+")
# "ADAM CHLIPALA: Hello", "Marco Santoro: Hi", "- Kirill: Yeah": up to four capitalised words.
_SPEAKER_LABEL = re.compile(
    r"^[-–•]?\s*(?P<name>[A-Z][\w.'’-]*(?: (?:[A-Z][\w.'’-]*|de|van|von|da|del|la)){0,3})\s?:\s+(?P<text>\S.*)$",
    re.DOTALL,
)
_NOT_NAMES = frozenset(
    [
        "note",
        "update",
        "edit",
        "question",
        "answer",
        "example",
        "warning",
        "tip",
        "step",
        "part",
        "chapter",
        "season",
        "episode",
        "title",
        "description",
        "url",
        "link",
        "date",
        "time",
        "source",
        "speaker",
        "speakers",
        "host",
        "guest",
        "transcript",
        "summary",
        "so",
        "ok",
        "okay",
        "yes",
        "no",
        "well",
        "and",
        "but",
        "or",
        "because",
        "now",
        "then",
        "here",
        "there",
        "this",
        "that",
        "http",
        "https",
        "www",
        "re",
        "q",
        "a",
        "references",
        "conclusion",
        "links",
        "sponsors",
        "chapters",
        "notes",
        "show",
        "notes",
        "transcript",
        "by",
        "captions",
        "playlist",
        "publication",
        "date",
        "youtube",
        "url",
    ]
)


def parse_timestamp(value: str) -> float | None:
    """Return seconds for `HH:MM:SS.mmm`, `MM:SS,mmm`, `H:MM:SS` and the like, else None."""
    match = _TIMESTAMP.match(value.strip())
    if match is None:
        return None
    hours, minutes, seconds, fraction = match.groups()
    total = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    if fraction:
        total += int(fraction) / (10 ** len(fraction))
    return float(total)


def clean_markup(text: str) -> str:
    """Strip caption tags and entities and fold white space."""
    text = _ASS_OVERRIDE.sub("", text).replace("\\N", " ").replace("\\n", " ")
    text = html.unescape(_TAG.sub("", text))
    return _SPACES.sub(" ", text).strip()


def split_speaker_label(text: str) -> tuple[str | None, str]:
    """Split `Name: words` into (name, words); (None, text) when there is no such label."""
    match = _SPEAKER_LABEL.match(text)
    if match is None:
        return None, text
    name = match["name"].strip()
    if is_non_name(name):
        return None, text
    return normalise_name(name), match["text"].strip()


def is_non_name(label: str) -> bool:
    """Whether a `Label:` is a heading or a field rather than a person."""
    folded = label.strip(" *#").casefold()
    return folded in _NOT_NAMES or len(folded) > 40 or "url" in folded.split()


def normalise_name(name: str) -> str:
    """`ADAM CHLIPALA` -> `Adam Chlipala`; other spellings are kept as written."""
    name = _SPACES.sub(" ", name).strip(" :*")
    return name.title() if name.isupper() and len(name) > 3 else name


def fold_spaces(text: str) -> str:
    """Collapse runs of white space into single spaces."""
    return _SPACES.sub(" ", text).strip()
