"""Small text helpers shared by the parsers."""

from __future__ import annotations

import functools
import html
import re

_FULL_TIMESTAMP = re.compile(r"(\d{1,3}):([0-5]\d):([0-5]\d)[.,](\d{3})$")
_LOOSE_SPACE = re.compile(r"\s\s|[\t\n\r\f\v]")
_TAG = re.compile(r"<[^>\n]{0,200}>")
_BLOCK_TAG = re.compile(
    r"</?(?:p|br|div|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|section|article|hr|dd|dt)\b[^>\n]{0,200}>", re.I
)
_ASS_OVERRIDE = re.compile(r"\{\\[^}]*\}")
_SPACES = re.compile(r"\s+")
_CLOCK = re.compile(r"([0-9]{1,4}):([0-9]{1,2}):([0-9]{1,2})")  # H:MM:SS, read without the general path
# "ADAM CHLIPALA: Hello", "Marco Santoro: Hi", "- Kirill: Yeah": up to four capitalised words.
_SPEAKER_LABEL = re.compile(
    r"^[-–•]?\s*(?P<name>[A-Z][\w.'’-]*(?: (?:[A-Z][\w.'’-]*|de|van|von|da|del|la)){0,3})\s?:\s+(?P<text>\S.*)$",
    re.DOTALL,
)
_PLACEHOLDER = re.compile(  # diarization labels, not names: SPEAKER_00, spk_1, Speaker 3, Unknown Speaker, F4
    r"^(?:(?:unknown|unidentified)(?:[ _-]?speaker)?(?:[ _-]?\w{1,3})?|speaker(?:[ _-]?\w{1,3})?"
    r"|spk[ _-]?\d+|[FMSU]\d{1,2}|\d{1,3})$",
    re.IGNORECASE,
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


@functools.lru_cache(maxsize=1 << 14)  # every hour of a transcript's whole seconds, met again in each episode
def parse_timestamp(value: str) -> float | None:
    """Return seconds for `HH:MM:SS.mmm`, `MM:SS,mmm`, `H:MM:SS` and the like, else None."""
    if len(value) == 12 and value[2] == value[5] == ":" and value[8] in ".," and value[3] < "6" and value[6] < "6":
        digits = value[:2] + value[3:5] + value[6:8] + value[9:]  # a caption's `00:01:02.345`, sliced
        if digits.isdecimal():  # what re's `\d` matches
            return int(value[:2]) * 3600 + int(value[3:5]) * 60 + int(value[6:8]) + int(value[9:]) / 1000
    if len(value) == 8 and value[2] == value[5] == ":" and value.isascii():  # a transcript's `00:01:02`
        digits = value[:2] + value[3:5] + value[6:]
        if digits.isdigit():
            return float(int(value[:2]) * 3600 + int(value[3:5]) * 60 + int(value[6:]))
    full = _FULL_TIMESTAMP.match(value)
    if full:  # the common caption form, read in one step
        hours, minutes, seconds, millis = full.groups()
        return int(hours) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000
    clock = _CLOCK.fullmatch(value)
    if clock:  # the common transcript form
        hours, minutes, seconds = clock.groups()
        return float(int(hours) * 3600 + int(minutes) * 60 + int(seconds))
    parts = value.strip().replace(",", ".").split(":")
    if not 2 <= len(parts) <= 3 or not value.isascii() or len(parts[0]) > 4:  # a 400-digit hour is no time
        return None
    seconds, _, fraction = parts[-1].partition(".")
    if not (seconds.isdigit() and len(seconds) <= 2 and parts[0].isdigit()):
        return None
    if len(parts) == 3 and not (parts[1].isdigit() and len(parts[1]) <= 2):
        return None
    if fraction and not (fraction.isdigit() and len(fraction) <= 3):
        return None
    total = int(seconds) + (int(fraction) / 10 ** len(fraction) if fraction else 0)
    if len(parts) == 3:
        total += int(parts[0]) * 3600 + int(parts[1]) * 60
    else:
        total += int(parts[0]) * 60
    return float(total)


def clean_markup(text: str) -> str:
    """Strip caption tags and entities and fold white space."""
    if not ("<" in text or "&" in text or "{" in text or "\\" in text):  # no tag, entity or override
        return _SPACES.sub(" ", text).strip() if _LOOSE_SPACE.search(text) else text.strip()
    text = _ASS_OVERRIDE.sub("", text).replace("\\N", " ").replace("\\n", " ")
    text = html.unescape(_TAG.sub("", _BLOCK_TAG.sub(" ", text)))  # a paragraph's end is a space, not glue
    return _SPACES.sub(" ", text).strip()


def split_speaker_label(text: str) -> tuple[str | None, str]:
    """Split `Name: words` into (name, words); (None, text) when there is no such label."""
    match = _SPEAKER_LABEL.match(text) if ":" in text[:80] else None
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


def is_placeholder_speaker(label: str) -> bool:
    """Whether a speaker label is a diarization code or a numbered stand-in rather than a name."""
    return bool(_PLACEHOLDER.match(label.strip(" *:[]()")))


def normalise_name(name: str) -> str:
    """`ADAM CHLIPALA` -> `Adam Chlipala`; other spellings are kept as written."""
    name = _SPACES.sub(" ", name).strip(" :*")
    return name.title() if name.isupper() and len(name) >= 3 else name


def word_count(text: str) -> int:
    """`len(text.split())`, without making the list when the text is printable and singly spaced."""
    if not text or "  " in text or not text.isprintable():
        return len(text.split())
    return text.count(" ") + 1 - text.startswith(" ") - text.endswith(" ")


def fold_spaces(text: str) -> str:
    """Collapse runs of white space into single spaces."""
    if "  " not in text and text.isprintable():  # the only white space a printable str holds is " "
        return text.strip()
    return " ".join(text.split())  # str.split's white space is a regex's: 4x faster than searching for it
