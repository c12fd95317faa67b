"""One line grammar for text transcripts: a timestamp token and a speaker label, in either order.

A stamp is bare, bracketed or parenthesised (`0:03`, `[01:42:27]`, `(00:28):`, `0:00:13.3`, `[00:12.50]`).
A label is `Name:`, `**Name**`, `[Name]`, `NAME, ROLE:`, or a name line followed by a stamp line. They
may share a line with the words (`[00:00:00] Ryan: text`, `**Ana** [0:00] text`, `[Speaker 1] [00:00]
text`) or head the paragraph below (`Name  0:03`, `Name (00:02):`, `Stephan Livera – 00:03:20:`).
A stamp-only line sets the clock; a label-only line starts a turn. Adding a shape means adding a label
or stamp pattern here, with a test.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass
from typing import NamedTuple

from bot.ingest.model import Utterance
from bot.ingest.text import fold_spaces, is_non_name, is_placeholder_speaker, normalise_name, parse_timestamp

_STAMP = r"\d{1,2}(?::[0-5]\d){1,2}(?:[.,]\d{1,3})?"
_LEAD_STAMP = re.compile(
    rf"^(?:\[(?P<b>{_STAMP})\]|\((?P<p>{_STAMP})\)|(?P<s>{_STAMP})(?![\d:]))\s*:?(?:\s+|$|(?<=\]))"
)
_NAME = r"[A-Z][\w.'’-]*(?: (?:[A-Z][\w.'’-]*|de|van|von|da|del|la|\d{1,2})){0,4}"
_LABELS = (
    re.compile(r"^<v(?:\.[\w.-]+)?\s+(?P<name>[^>]{1,60})>\s*"),  # WebVTT voice tag
    re.compile(r"^\*\*(?P<name>[^*\n]{1,60}?)\s*:?\s*\*\*\s*:?(?:\s+|$)"),  # **Name** / **Name:**
    re.compile(rf"^\[(?P<name>{_NAME})\]\s*:?(?:\s+|$)"),  # [Jane Doe], [Speaker 1]
    re.compile(r"^(?P<name>[A-Z][A-Z.'’-]+(?: [A-Z][A-Z.'’-]+){0,3}),\s*[A-Z][A-Z /-]{1,30}:(?:\s+|$)"),  # NAME, HOST:
    re.compile(rf"^(?P<name>{_NAME})\s?:(?:\s+|$)"),  # Name:
)
_LABEL_STARTS = ("<", "*", "[")
_HEADER = re.compile(  # `Name  0:03`, `Name (00:02):`, `Stephan Livera – 00:03:20:`, `Name: 00:00:00`
    rf"^(?P<name>{_NAME})\s*[:–—-]?\s+[\[(]?(?P<stamp>{_STAMP})[\])]?:?\s*$|^(?P<name2>{_NAME})\s*\((?P<stamp2>{_STAMP})\):?\s*$"
)
_NAME_LINE = re.compile(rf"^(?P<name>{_NAME})$")
_INLINE_STAMP = re.compile(rf"\[({_STAMP})\]")
_STAGE = re.compile(r"\[(?:[^\]\d][^\]]{0,60})\]|^\((?:[^)]{0,80})\)$")
_MD_ESCAPE = re.compile(r"\\([\[\]*_`#>()\\-])")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)|<(https?://[^>]+)>")
_EMPHASIS = re.compile(r"\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)")
_TAG = re.compile(r"</?[a-zA-Z][^>\n]{0,200}>")
_LIST_MARK = re.compile(r"^(?:[-–•>]\s+)+")
_LIST_STARTS = tuple("-–•>")
_FOOTER = re.compile(r"^Transcribed by https?://otter\.ai\b", re.IGNORECASE)
_SKIPPED = ("#", "---", "|", "```")


class Line(NamedTuple):
    """What the grammar read at the head of one line (a tuple: one is made for every line read)."""

    stamp: float | None
    speaker: str | None
    text: str


@dataclass(frozen=True, slots=True)
class LineScan:
    """A text transcript as the grammar read it, and how much of it carried stamps and labels."""

    utterances: list[Utterance]
    lines: int  # non-blank lines
    stamped: int  # lines led by a (changing) stamp
    labels: Counter[str]  # real speaker names, by lines labelled
    headers: int  # label lines with no words: a header over the paragraph below
    placeholders: int  # lines labelled `Speaker 1`, `Unknown Speaker` and the like
    read: dict[str, Line]  # each stripped line as `read_line` read it, for other readers of the same text

    def looks_timed(self) -> bool:
        return self.lines > 0 and self.stamped >= 0.3 * min(self.lines, 400)

    def looks_like_dialogue(self) -> bool:
        """Enough lines carry a label from a small recurring cast (or head paragraphs)."""
        labelled = sum(self.labels.values()) + self.placeholders
        if self.headers >= 3 and self.headers >= 0.1 * min(self.lines, 400):
            return True
        if labelled < 4:
            return False
        top = sum(count for _, count in self.labels.most_common(6)) + self.placeholders
        return top >= 0.8 * labelled and labelled >= 0.15 * self.lines


def read_line(raw: str) -> Line:
    """Split one line into its stamp, its speaker label and its words."""
    rest = raw.strip()
    if "\\" in rest:
        rest = _MD_ESCAPE.sub(r"\1", rest)
    if rest[:1] in _LIST_STARTS:
        rest = _LIST_MARK.sub("", rest)
    header = _HEADER.match(rest) if "A" <= rest[:1] <= "Z" and ":" in rest else None  # a name, then a stamp
    if header:
        name = header["name"] or header["name2"]
        if _is_name(name):
            return Line(parse_timestamp(header["stamp"] or header["stamp2"]), _name(name), "")
    stamp: float | None = None
    speaker: str | None = None
    for _ in range(3):  # stamp and label in either order, each at most once
        if stamp is None and (match := _LEAD_STAMP.match(rest)):
            stamp = parse_timestamp(match["b"] or match["p"] or match["s"])
            rest = rest[match.end() :]
            continue
        if speaker is None and (found := _label(rest)) is not None:
            speaker, rest = found
            continue
        break
    return Line(stamp, speaker, rest.strip())


def _label(text: str) -> tuple[str, str] | None:
    if text[:1] in _LABEL_STARTS:
        patterns = _LABELS
    elif "A" <= text[:1] <= "Z" and ":" in text:  # `Name:` and `NAME, ROLE:` are the labels that open with a name
        patterns = _LABELS[3:]
    else:
        return None
    for pattern in patterns:
        match = pattern.match(text)
        if match and _is_name(match["name"]):
            return _name(match["name"]), text[match.end() :]
    return None


def _is_name(label: str) -> bool:
    """`Part 2:` and `Note:` are headings; `Speaker 2:` is a placeholder, still a turn."""
    if is_placeholder_speaker(label):
        return True
    return not (is_non_name(label) or is_non_name(label.split()[0]) or _LEAD_STAMP.match(label))


def _name(label: str) -> str:
    return normalise_name(label.strip(" :-–—"))


def clean_words(text: str) -> str:
    """Markdown links, escapes, emphasis, tags and entities removed; stage directions dropped."""
    if "[" in text or "<" in text:
        text = _MD_LINK.sub(lambda m: m[1] or m[2], text)
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text or "*" in text or "_" in text:
        text = html.unescape(_EMPHASIS.sub("", text))
    if "[" in text or "(" in text:
        text = _STAGE.sub(" ", text)
    return fold_spaces(text)


def scan_lines(text: str) -> LineScan:
    """Read a text transcript line by line; a stamp that never changes carries no time."""
    all_lines = text.split("\n")
    kept = [i for i, line in enumerate(all_lines) if line.strip() and not line.lstrip().startswith(_SKIPPED)]
    raw_lines = [all_lines[i] for i in kept]
    opens_paragraph = [i == 0 or not all_lines[i - 1].strip() for i in kept]
    parsed = [read_line(line) for line in raw_lines]
    read = {line.strip(): line_read for line, line_read in zip(raw_lines, parsed, strict=True)}
    lead = Counter(p.stamp for p in parsed if p.stamp is not None)
    if len(lead) == 1 and lead.most_common(1)[0][1] >= 5:  # an exporter's `0:00 ` before every line
        parsed = [read_line(_drop_stamp(line)) for line in raw_lines]
    parsed = _name_lines(parsed, opens_paragraph)
    utterances = _assemble(parsed)
    labels: Counter[str] = Counter()
    placeholders = 0
    for p in parsed[:400]:
        if p.speaker and is_placeholder_speaker(p.speaker):
            placeholders += 1
        elif p.speaker:
            labels[p.speaker] += 1
    return LineScan(
        utterances=utterances,
        lines=len(parsed),
        stamped=sum(1 for p in parsed[:400] if p.stamp is not None and p.text),
        labels=labels,
        headers=sum(1 for p in parsed[:400] if p.speaker and not p.text),
        placeholders=placeholders,
        read=read,
    )


def parse_lines(text: str) -> list[Utterance]:
    """The utterances of a text transcript."""
    return scan_lines(text).utterances


def _drop_stamp(line: str) -> str:
    match = _LEAD_STAMP.match(line.strip())
    return line.strip()[match.end() :] if match else line


def _name_lines(parsed: list[Line], opens_paragraph: list[bool]) -> list[Line]:
    """A paragraph that is only a name, right above a stamp-only line, labels the paragraph below."""
    named = list(parsed)
    for index, line in enumerate(parsed[:-1]):
        below = parsed[index + 1]
        if not opens_paragraph[index] or line.stamp is not None or line.speaker is not None:
            continue
        stamp_below = below.stamp is not None and below.speaker is None and not below.text
        if stamp_below and _NAME_LINE.match(line.text) and not line.text.endswith(".") and _is_name(line.text):
            named[index] = Line(None, _name(line.text), "")
    return named


def _assemble(parsed: list[Line]) -> list[Utterance]:
    pieces: list[tuple[str, float | None, str | None, bool]] = []  # words, start, speaker, new turn
    speaker: str | None = None
    clock: float | None = None
    turn = False
    for line in parsed:
        if "://" in line.text and _FOOTER.match(line.text):
            continue
        if line.speaker is not None:
            speaker, turn = line.speaker, True
        if line.stamp is not None:
            clock = line.stamp
        for clock_at, piece in _timed_pieces(line.text, clock):
            clock = clock_at
            words = clean_words(piece)
            if words:
                pieces.append((words, clock, speaker, turn))
                turn = False
    return _close_ends(pieces)


def _timed_pieces(line: str, clock: float | None) -> list[tuple[float | None, str]]:
    if "[" not in line:
        return [(clock, line)]
    pieces = []
    position = 0
    for match in _INLINE_STAMP.finditer(line):
        pieces.append((clock, line[position : match.start()]))
        clock = parse_timestamp(match[1])
        position = match.end()
    pieces.append((clock, line[position:]))
    return pieces


def _close_ends(pieces: list[tuple[str, float | None, str | None, bool]]) -> list[Utterance]:
    """A timed line ends where the next later stamp starts (each utterance made once, its end known)."""
    closed: list[Utterance] = []
    following_start: float | None = None
    following_end: float | None = None
    for words, start, speaker, turn in reversed(pieces):
        end = None
        if start is not None and following_start is not None:
            if following_start > start:
                end = following_start
            elif following_start == start:
                end = following_end
        closed.append(Utterance(words, start, end, speaker, turn))
        following_start, following_end = start, end
    return closed[::-1]
