"""Time-coded formats: SRT, WebVTT, SBV, ASS and caption dumps (`HH:MM:SS text` lines are in lines.py).

One tolerant line scanner serves SRT, WebVTT and SBV. pysubs2 was measured on the shared corpus
first: it drops WebVTT voice tags (`<v Name>`, our speakers), keeps inline `<00:05:04.199>` stamps
and entities in the text, and rejects captions embedded in a YouTube export. The scanner keeps all
three and never raises on a broken cue: a cue it cannot read is skipped and counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.ingest.model import ParseError, Utterance
from bot.ingest.text import clean_markup, parse_timestamp, split_speaker_label

_STAMP = r"(?:\d+:)?\d{1,2}:\d{1,2}(?:[.,]\d{1,3})?"
CUE_TIMING = re.compile(rf"^\s*({_STAMP})\s*-->\s*({_STAMP})(?:\s.*)?$")
SBV_TIMING = re.compile(r"^\s*(\d+:\d{2}:\d{2}\.\d{3}),(\d+:\d{2}:\d{2}\.\d{3})\s*$")
LONE_STAMP = re.compile(r"^\s*(\d{1,2}:\d{2}(?::\d{2})?)\s*$")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]{1,60})>")
_SPEAKER_N = re.compile(r"^\s*Speaker\s+\d+\s*:\s*", re.IGNORECASE)
_TURN_MARK = re.compile(r"^\s*(?:>>|&gt;&gt;)\s*")


@dataclass(frozen=True, slots=True)
class CueScan:
    """The utterances of a caption file and how many cues had to be skipped."""

    utterances: list[Utterance]
    skipped: int


def scan_cues(text: str) -> CueScan:
    """Read SRT, WebVTT or SBV cues: a timing line, then text up to a blank line."""
    utterances: list[Utterance] = []
    skipped = 0
    timing: tuple[float, float] | None = None
    lines: list[str] = []

    def flush(*, by_timing: bool = False) -> None:
        if timing is None:
            return
        if by_timing and lines and lines[-1].strip().isdigit():  # the next cue's SRT index, no blank line between
            lines.pop()
        utterance = _cue_utterance(lines, *timing)
        if utterance is not None:
            utterances.append(utterance)

    for line in text.split("\n"):
        match = timing_match(line)
        if match:
            flush(by_timing=True)
            start, end = parse_timestamp(match[1]), parse_timestamp(match[2])
            if start is None or end is None:
                skipped += 1
                timing = None
            else:
                timing = (start, max(start, end))
            lines = []
        elif timing is not None:
            if line.strip():
                lines.append(line)
            else:  # a blank line ends the cue, an empty one included
                flush()
                timing = None
        elif "-->" in line:
            skipped += 1
    flush()
    return CueScan(utterances, skipped)


def timing_match(line: str) -> re.Match[str] | None:
    """Match an SRT/WebVTT `start --> end` line or an SBV `start,end` line."""
    if "-->" in line:
        return CUE_TIMING.match(line)
    if line[:1].isdigit() and "," in line:
        return SBV_TIMING.match(line)
    return None


def _cue_utterance(lines: list[str], start: float, end: float) -> Utterance | None:
    raw = "\n".join(lines)
    speaker = None
    voice = _VOICE.search(raw) if "<v" in raw else None
    if voice:
        speaker = voice[1].strip()
    new_turn = raw.lstrip().startswith((">>", "&gt;&gt;"))
    text = clean_markup(_TURN_MARK.sub("", raw, count=1) if new_turn else raw)
    if not text:
        return None
    if speaker is None:
        speaker, text = split_speaker_label(text)
    return Utterance(text=text, start=start, end=end, speaker=speaker, new_turn=new_turn or bool(speaker))


def parse_ass(text: str) -> CueScan:
    """Read the `Dialogue:` events of an Advanced SubStation Alpha script."""
    utterances: list[Utterance] = []
    skipped = 0
    for line in text.split("\n"):
        if not line.startswith("Dialogue:"):
            continue
        fields = line[len("Dialogue:") :].split(",", 9)
        if len(fields) < 10:
            skipped += 1
            continue
        start, end = parse_timestamp(fields[1]), parse_timestamp(fields[2])
        if start is None or end is None:
            skipped += 1
            continue
        body = clean_markup(fields[9])
        if not body:
            continue
        speaker, body = split_speaker_label(body)
        speaker = speaker or (fields[4].strip() or None)
        utterances.append(Utterance(body, start, max(start, end), speaker, new_turn=bool(speaker)))
    return CueScan(utterances, skipped)


def parse_tsv(lines: list[str]) -> list[Utterance] | None:
    """Whisper's `start<TAB>end<TAB>text` (milliseconds, header optional) or `index<TAB>sentence`; None if no table."""
    sample = [line.split("\t") for line in lines[:200]]
    if len(sample) < 3 or sum(1 for row in sample if len(row) >= 2) < 0.9 * len(sample):
        return None
    rows = sample + [line.split("\t") for line in lines[200:]]
    if rows[0][0].strip().isdigit():
        header = ["start", "end", "text"] if len(rows[0]) >= 3 else ["index", "text"]
    else:
        header, rows = [cell.strip().lower() for cell in rows[0]], rows[1:]
    numbered = sum(1 for row in rows[:200] if row[0].strip().isdigit())
    if not {"text", "sentence"} & set(header) or numbered < 0.9 * len(rows[:200]):  # a table of something else
        return None
    column = {name: index for index, name in enumerate(header)}
    text_at = column.get("text", column.get("sentence", len(header) - 1))
    utterances = []
    for row in rows:
        words = clean_markup(row[text_at]) if len(row) > text_at else ""
        if words:
            utterances.append(
                Utterance(words, _milliseconds(row, column.get("start")), _milliseconds(row, column.get("end")))
            )
    return utterances or None


def _milliseconds(row: list[str], at: int | None) -> float | None:
    if at is None or at >= len(row) or not row[at].strip().isdigit():
        return None
    return int(row[at]) / 1000


def parse_caption_dump(text: str) -> list[Utterance]:
    """Read a caption dump: a lone `H:MM:SS` line, then `Speaker N :` text lines."""
    utterances: list[Utterance] = []
    start: float | None = None
    body: list[str] = []

    def flush() -> None:
        words = clean_markup(" ".join(body))
        if start is not None and words:
            utterances.append(Utterance(words, start))

    for line in text.split("\n"):
        stamp = LONE_STAMP.match(line)
        if stamp:
            flush()
            start, body = parse_timestamp(stamp[1]), []
        elif start is not None and line.strip():
            body.append(_SPEAKER_N.sub("", line))
    flush()
    if not utterances:
        raise ParseError("no timestamped lines")
    return _close_ends(utterances)


def _close_ends(utterances: list[Utterance]) -> list[Utterance]:
    """Give each utterance the next one's start as its end."""
    closed = []
    for current, following in zip(utterances, [*utterances[1:], None], strict=True):
        end = current.end if current.end is not None else (following.start if following else None)
        closed.append(Utterance(current.text, current.start, end, current.speaker, current.new_turn))
    return closed
