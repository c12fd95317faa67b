"""Untimed or sparsely timed dialogue: `Name: text`, `**Name:** text`, `Name: 00:00:00` headers."""

from __future__ import annotations

import re
from collections import Counter

from bot.ingest.model import Utterance
from bot.ingest.text import fold_spaces, is_non_name, normalise_name, parse_timestamp, split_speaker_label

_BOLD_LABEL = re.compile(r"^\s*\*\*(?P<name>[^*\n]{1,60}?)\s*:?\s*\*\*\s*:?\s*(?P<text>.*)$")
_HEADER_LABEL = re.compile(  # `Name: 00:00:00`, `Name 00:02:14`, `Name – 00:03:20:`
    r"^\s*(?:#+\s*)?(?P<name>[A-Z][\w .'’]{0,50}?)\s*[:–—-]?\s*\[?(?P<time>\d{1,2}:\d{2}(?::\d{2})?)\]?:?\s*$"
)
_BARE_LABEL = re.compile(r"^\s*(?P<name>[A-Z][\w.'’-]*(?: [\w.'’-]+){0,3})\s*:\s*$")
_INLINE_STAMP = re.compile(r"\[(\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?)\]")
_STAGE = re.compile(r"\[(?:[^\]\d][^\]]{0,60})\]|^\((?:[^)]{0,80})\)$")
_MD_ESCAPE = re.compile(r"\\([\[\]*_`#>()\\-])")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)|<(https?://[^>]+)>")


def looks_like_dialogue(lines: list[str]) -> bool:
    """Whether enough lines carry a speaker label from a small recurring cast."""
    names = [name for name in (_label(line) for line in lines) if name]
    if len(names) < 4:
        return False
    top = Counter(names).most_common(6)
    return sum(count for _, count in top) >= 0.8 * len(names) and len(names) >= 0.15 * len(lines)


def _label(line: str) -> str | None:
    for pattern in (_BOLD_LABEL, _HEADER_LABEL, _BARE_LABEL):
        match = pattern.match(line)
        if match and not is_non_name(match["name"]):
            return normalise_name(match["name"])
    name, _ = split_speaker_label(line.strip())
    return name


def parse_dialogue(text: str) -> list[Utterance]:
    """Read speaker turns; inline `[MM:SS]` stamps time the words that follow them."""
    utterances: list[Utterance] = []
    speaker: str | None = None
    clock: float | None = None
    first_of_turn = False
    for raw_line in text.split("\n"):
        line = _MD_LINK.sub(lambda m: m[1] or m[2], _MD_ESCAPE.sub(r"\1", raw_line)).strip()
        if not line or line.startswith(("#", "---", "|")):
            continue
        header = _HEADER_LABEL.match(line)
        if header and not is_non_name(header["name"]):
            speaker, clock, first_of_turn = normalise_name(header["name"]), parse_timestamp(header["time"]), True
            continue
        bare = _BARE_LABEL.match(line)
        if bare and not is_non_name(bare["name"]):
            speaker, first_of_turn = normalise_name(bare["name"]), True
            continue
        bold = _BOLD_LABEL.match(line)
        if bold:
            speaker, line, first_of_turn = normalise_name(bold["name"]), bold["text"], True
        else:
            name, rest = split_speaker_label(line)
            if name:
                speaker, line, first_of_turn = name, rest, True
        for clock_at, piece in _timed_pieces(line, clock):
            clock = clock_at
            words = fold_spaces(_STAGE.sub(" ", piece))
            if words:
                utterances.append(Utterance(words, clock, None, speaker, new_turn=first_of_turn))
                first_of_turn = False
    return utterances


def _timed_pieces(line: str, clock: float | None) -> list[tuple[float | None, str]]:
    pieces = []
    position = 0
    for match in _INLINE_STAMP.finditer(line):
        pieces.append((clock, line[position : match.start()]))
        clock = parse_timestamp(match[1])
        position = match.end()
    pieces.append((clock, line[position:]))
    return pieces
