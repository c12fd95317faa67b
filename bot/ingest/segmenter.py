"""Turn raw utterances (cues, lines, turns) into readable segments of roughly one sentence.

Rolling auto-captions repeat the tail of the previous cue at the head of the next; that overlap is
removed first. Then units are merged until a sentence ends, a speaker changes, or a length cap is
reached, so a quote that spans two caption lines lands in one segment.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence

from bot.ingest.model import Segment, Utterance
from bot.ingest.text import fold_spaces, word_count
from models.text import tokens

MIN_WORDS = 5
MAX_WORDS = 60
UNPUNCTUATED_TARGET = 30
PAUSE_SECONDS = 1.0
_OVERLAP_WINDOW = 30

_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])[\"”')\]]*\s+(?=[\"“'(\[]?[A-Z0-9¿¡])")
_ABBREVIATION = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Prof|St|vs|etc|e\.g|i\.e|approx|Inc|Ltd|No)\.$", re.IGNORECASE)
_SENTENCE_ENDS = ".!?…"
_CLOSERS = "\"”')]"  # may follow a sentence's end


def sentences(text: str) -> list[str]:
    """Split prose into sentences of at most MAX_WORDS words."""
    pieces: list[str] = []
    for raw in _SENTENCE_BREAK.split(text.strip()):
        if pieces and _ABBREVIATION.search(pieces[-1]):
            pieces[-1] = f"{pieces[-1]} {raw}"
        elif raw:
            pieces.append(raw)
    return [chunk for piece in pieces for chunk in _cap_words(fold_spaces(piece))]


def _cap_words(text: str) -> list[str]:
    words = text.split()
    if len(words) <= MAX_WORDS:
        return [text] if words else []
    size = -(-len(words) // -(-len(words) // MAX_WORDS))  # even chunks, none over the cap
    return [" ".join(words[i : i + size]) for i in range(0, len(words), size)]


def build_segments(utterances: Sequence[Utterance], *, captions: bool = False) -> list[Segment]:
    """Merge utterances into sentence-sized segments; `captions` enables rolling-overlap removal."""
    units = list(_split_long(utterances))
    if captions and _is_rolling(units):
        units = list(_remove_rolling_overlap(units))
    return list(_merge(units))


def _split_long(utterances: Iterable[Utterance]) -> Iterable[Utterance]:
    for utterance in utterances:
        if word_count(utterance.text) <= MAX_WORDS:
            yield utterance
            continue
        parts = sentences(utterance.text)
        total = sum(len(p) for p in parts) or 1
        offset = 0
        for index, part in enumerate(parts):
            start = _interpolate(utterance, offset / total)
            offset += len(part)
            end = _interpolate(utterance, offset / total) if utterance.end is not None else None
            yield Utterance(part, start, end, utterance.speaker, utterance.new_turn and index == 0)


def _interpolate(utterance: Utterance, fraction: float) -> float | None:
    if utterance.start is None or utterance.end is None:
        return utterance.start
    return round(utterance.start + (utterance.end - utterance.start) * fraction, 3)


def _overlap(tail: list[str], words: list[str]) -> int:
    """Length of the longest suffix of `tail` that is a prefix of `words`."""
    for size in range(min(len(tail), len(words), _OVERLAP_WINDOW), 0, -1):
        if tail[-size:] == words[:size]:
            return size
    return 0


def _is_rolling(units: Sequence[Utterance]) -> bool:
    """Whether many neighbouring cues repeat words across their boundary (judged on a sample)."""
    sample = units[:400]
    if len(sample) < 4:
        return False
    repeats = sum(
        1
        for previous, current in itertools.pairwise(sample)
        if _overlap(tokens(previous.text)[-_OVERLAP_WINDOW:], tokens(current.text)) > 0
    )
    return repeats >= 0.2 * (len(sample) - 1)


def _remove_rolling_overlap(units: Sequence[Utterance]) -> Iterable[Utterance]:
    tail: list[str] = []
    for unit in units:
        words = tokens(unit.text)
        drop = _overlap(tail, words)
        tail = (tail + words[drop:])[-_OVERLAP_WINDOW:]
        if drop == 0:
            yield unit
        elif drop < len(words):
            yield Utterance(_drop_words(unit.text, drop), unit.start, unit.end, unit.speaker, unit.new_turn)


def _drop_words(text: str, count: int) -> str:
    """Remove the first `count` normalised words from `text`, keeping the rest as written."""
    kept = text.split()
    dropped = 0
    while kept and dropped < count:
        dropped += len(tokens(kept.pop(0)))
    return " ".join(kept)


def _merge(units: Sequence[Utterance]) -> Iterable[Segment]:
    buffer: list[Utterance] = []
    count = 0
    for index, unit in enumerate(units):
        if buffer and (unit.new_turn or unit.speaker != buffer[-1].speaker):
            yield _segment(buffer)
            buffer, count = [], 0
        size = word_count(unit.text)
        if buffer and count + size > MAX_WORDS:
            yield _segment(buffer)
            buffer, count = [], 0
        buffer.append(unit)
        count += size
        following = units[index + 1] if index + 1 < len(units) else None
        if _should_cut(unit, count, following):
            yield _segment(buffer)
            buffer, count = [], 0
    if buffer:
        yield _segment(buffer)


def _should_cut(unit: Utterance, count: int, following: Utterance | None) -> bool:
    if count < MIN_WORDS:
        return False
    if _ends_sentence(unit.text):
        return True
    pause = _gap(unit, following)
    if count >= UNPUNCTUATED_TARGET and (pause is None or pause >= 0.3 or count >= 40):
        return True
    return pause is not None and pause >= PAUSE_SECONDS and count >= 2 * MIN_WORDS


def _ends_sentence(text: str) -> bool:
    """Whether `text` ends with a full stop, a question or exclamation mark, maybe inside quotes
    or brackets (read from the end: a regex search tried every position)."""
    head = text.removesuffix("\n").rstrip(_CLOSERS)  # as a regex `$` would, a final line break is passed over
    return bool(head) and head[-1] in _SENTENCE_ENDS


def _gap(unit: Utterance, following: Utterance | None) -> float | None:
    if following is None or following.start is None or unit.end is None:
        return None
    return following.start - unit.end


def _segment(buffer: Sequence[Utterance]) -> Segment:
    if len(buffer) == 1:
        unit = buffer[0]
        return Segment(unit.text, unit.start, unit.end, unit.speaker)
    text = " ".join(unit.text for unit in buffer)
    start = next((u.start for u in buffer if u.start is not None), None)
    end = next((u.end for u in reversed(buffer) if u.end is not None), None)
    return Segment(text=text, start=start, end=end, speaker=buffer[0].speaker)
