"""JSON transcripts read by structure: any list of objects with a time-like and a text-like field.

One reader serves Whisper (`segments`), whisperX (`words` with `speaker`), AssemblyAI and Deepgram
(`utterances`/`words`, milliseconds), Amazon Transcribe (`items` with `alternatives`), Speechmatics
(`words` with `name`/`time`/`duration`), YouTube json3 (`events[].segs`), Podcasting 2.0 (`body`,
`startTime`) and site exports (`transcript: [{timestamp, speaker, text}]`). Of the lists found, the one
with the most text wins, and among lists holding nearly as much the one with the fewest (largest)
items. A new shape should mean a new field name below.
"""

from __future__ import annotations

import itertools
import re
import statistics
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass

from bot.ingest.metadata import find_number, parse_date
from bot.ingest.model import Metadata, ParseError, Utterance
from bot.ingest.text import clean_markup, fold_spaces, parse_timestamp
from bot.ingest.values import checked_int, load_json

TEXT_KEYS = ("text", "body", "transcript", "punctuated_word", "content", "sentence", "utf8", "caption", "word", "name")
START_KEYS = ("start", "startTime", "start_time", "startMs", "start_ms", "tStartMs", "begin", "from", "offset", "time",
              "timestamp", "ts", "startSeconds")  # fmt: skip
END_KEYS = ("end", "endTime", "end_time", "endMs", "end_ms", "to", "stop", "endSeconds")
DURATION_KEYS = ("duration", "dDurationMs", "dur", "durationMs")
SPEAKER_KEYS = ("speaker", "speaker_label", "speakerLabel", "speaker_name", "speakerName", "who")
NESTED_TEXT = {"alternatives": " ", "segs": ""}  # text kept in a list of parts: take the first, or join them
SHOW_KEYS = ("podcast", "show", "series", "channel", "podcast_name", "show_name")
TITLE_KEYS = ("title", "episode_title", "episodeTitle", "name")
NUMBER_KEYS = ("episode_number", "episodeNumber", "number", "episode")
DATE_KEYS = ("date", "published", "pubDate", "pub_date", "publish_date", "published_at", "recorded", "air_date",
             "created", "created_at")  # fmt: skip
URL_KEYS = ("audio_url", "media", "url", "audio", "enclosure")
_MS_KEY = re.compile(r"ms$", re.IGNORECASE)
_SECONDS_SUFFIX = re.compile(r"^(\d+(?:\.\d+)?)s$")
_PUNCTUATION = re.compile(r"^[^\w\s]+$")
MAX_DEPTH = 12
LOOKED_FOR = (
    "a list of objects with a time field (start, startTime, time, timestamp, …) and a text field (text, body, word, …)"
)


@dataclass(frozen=True, slots=True)
class JsonTranscript:
    """The utterances of a JSON transcript and the episode facts its own fields state."""

    utterances: list[Utterance]
    meta: Metadata
    format: str  # podcast-json (Podcasting 2.0 `body` segments) or json


@dataclass(slots=True)
class _Candidate:
    items: list[dict]
    text_key: str
    chars: int = 0


def parse_json_transcript(text: str) -> JsonTranscript:
    """Read a JSON transcript of any of the shapes above; ParseError names what was looked for."""
    data = load_json(text)
    lists: list[list] = []
    _collect_lists(data, lists, 0)
    candidates = [c for items in lists if (c := _candidate(items)) is not None]
    if not candidates:
        raise ParseError(f"JSON with no transcript: looked for {LOOKED_FOR}")
    most = max(c.chars for c in candidates)
    chosen = min((c for c in candidates if c.chars >= 0.8 * most), key=lambda c: len(c.items))
    utterances = _utterances(chosen, lists)
    if not utterances:
        raise ParseError(f"JSON transcript with no text: looked for {LOOKED_FOR}")
    return JsonTranscript(utterances, _metadata(data), "podcast-json" if chosen.text_key == "body" else "json")


def _collect_lists(value: object, found: list[list], depth: int) -> None:
    if depth > MAX_DEPTH:
        return
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    if isinstance(value, list) and value and isinstance(value[0], dict):
        found.append(value)
    for child in children:
        if isinstance(child, dict | list):
            _collect_lists(child, found, depth + 1)


def _first_key(item: dict, keys: tuple[str, ...]) -> str | None:
    return next((key for key in keys if key in item), None)


def _item_text(item: dict, text_key: str) -> str:
    value = item.get(text_key)
    if isinstance(value, str):
        return value
    for key, joiner in NESTED_TEXT.items():
        parts = item.get(key)
        if isinstance(parts, list) and parts and isinstance(parts[0], dict):
            chosen = parts[:1] if key == "alternatives" else parts
            return joiner.join(text for part in chosen if (text := _plain_text(part)))
    return ""


def _plain_text(item: dict) -> str | None:
    return next((value for key in TEXT_KEYS if isinstance(value := item.get(key), str)), None)


def _candidate(items: list) -> _Candidate | None:
    sample = [item for item in items[:50] if isinstance(item, dict)]
    if not sample:
        return None
    text_key = _text_key(sample)
    if text_key is None or not any(_first_key(item, START_KEYS) for item in sample):
        return None
    chars = sum(len(_item_text(item, text_key)) for item in items if isinstance(item, dict))
    return _Candidate(items, text_key, chars) if chars else None


def _text_key(sample: list[dict]) -> str | None:
    counts: Counter[str] = Counter()
    for item in sample:
        key = next((k for k in TEXT_KEYS if isinstance(item.get(k), str)), None)
        if key is None and any(k in item for k in NESTED_TEXT):
            key = "<nested>"
        if key is not None:
            counts[key] += 1
    return counts.most_common(1)[0][0] if counts else None


def _utterances(chosen: _Candidate, lists: list[list]) -> list[Utterance]:
    items = [item for item in chosen.items if isinstance(item, dict)]
    scale = _time_scale(items)
    rows = []
    for item in items:
        text = clean_markup(_item_text(item, chosen.text_key))
        start, end = _times(item, scale)
        rows.append((text, start, end, _speaker(item)))
    if all(speaker is None for *_, speaker in rows):
        rows = _speakers_from_ranges(rows, lists, chosen.items)
    return _join_punctuation(rows)


def _time_scale(items: list[dict]) -> float:
    """1000 when the list's times are whole milliseconds, else 1."""
    key = next((found for item in items[:50] if (found := _first_key(item, START_KEYS))), "")
    if _MS_KEY.search(key):
        return 1000.0
    starts = [item.get(key) for item in items[:200]]
    numbers = [v for v in starts if isinstance(v, int | float) and not isinstance(v, bool)]
    if not numbers or not all(float(v).is_integer() for v in numbers):
        return 1.0
    gaps = [b - a for a, b in itertools.pairwise(numbers) if b > a]
    return 1000.0 if gaps and statistics.median(gaps) >= 100 else 1.0


def _times(item: dict, scale: float) -> tuple[float | None, float | None]:
    start_key = _first_key(item, START_KEYS)
    start = _seconds(item.get(start_key), scale, start_key) if start_key else None
    end_key = _first_key(item, END_KEYS)
    end = _seconds(item.get(end_key), scale, end_key) if end_key else None
    duration_key = _first_key(item, DURATION_KEYS)
    if end is None and start is not None and duration_key:
        length = _seconds(item.get(duration_key), scale, duration_key)
        end = start + length if length is not None else None
    if start is not None and end is not None and end < start:
        end = start
    return start, end


def _seconds(value: object, scale: float, key: str) -> float | None:
    if isinstance(value, bool):
        return None
    factor = 1000.0 if _MS_KEY.search(key) else scale
    if isinstance(value, int | float):
        return round(value / factor, 3) if value >= 0 and value == value and value != float("inf") else None
    if not isinstance(value, str) or not value.strip():
        return None
    raw = value.strip()
    suffixed = _SECONDS_SUFFIX.match(raw)
    if suffixed:
        return float(suffixed[1])
    try:
        number = float(raw)
    except ValueError:
        return parse_timestamp(raw)
    return round(number / factor, 3) if 0 <= number < 1e9 else None


def _speaker(item: dict) -> str | None:
    key = _first_key(item, SPEAKER_KEYS)
    if key is not None:
        value = item[key]
        if isinstance(value, dict):
            value = value.get("name") or value.get("id")
        label = fold_spaces(str(value)) if value is not None and not isinstance(value, bool) else ""
        return "" if len(label) == 1 else label  # AssemblyAI's `A`, `B`: a turn, not a name
    words = item.get("words")
    if isinstance(words, list) and words and isinstance(words[0], dict):
        said = Counter(str(w[k]) for w in words if isinstance(w, dict) and (k := _first_key(w, SPEAKER_KEYS)))
        return said.most_common(1)[0][0] if said else None
    return None


def _speakers_from_ranges(rows: list, lists: list[list], chosen: list) -> list:
    """Amazon Transcribe style: speakers in a separate list of timed ranges without text."""
    for items in lists:
        if items is chosen or not isinstance(items[0], dict) or _first_key(items[0], SPEAKER_KEYS) is None:
            continue
        if _first_key(items[0], TEXT_KEYS[:4]) is not None:
            continue
        scale = _time_scale(items)
        ranges = sorted((s, _speaker(item)) for item in items if (s := _times(item, scale)[0]) is not None)
        if not ranges:
            continue
        starts = [s for s, _ in ranges]
        return [
            (text, start, end, ranges[i - 1][1] if start is not None and (i := bisect_right(starts, start)) else None)
            for text, start, end, _ in rows
        ]
    return rows


def _join_punctuation(rows: list) -> list[Utterance]:
    """Word-level lists: punctuation items join the word before them; a speaker change is a turn."""
    utterances: list[Utterance] = []
    previous: str | None = None
    for text, start, end, speaker in rows:
        if not text:
            continue
        if utterances and _PUNCTUATION.match(text):
            last = utterances[-1]
            utterances[-1] = Utterance(last.text + text, last.start, last.end, last.speaker, last.new_turn)
            continue
        turn = speaker is not None and speaker != previous
        previous = speaker if speaker is not None else previous
        utterances.append(Utterance(text, start, end, speaker or None, new_turn=turn))
    return utterances


def _metadata(data: object) -> Metadata:
    if not isinstance(data, dict):
        return Metadata()
    fields = {k: v for k, v in data.items() if isinstance(v, str | int | float) and not isinstance(v, bool)}
    for nested in ("metadata", "meta", "episode", "podcast", "show"):
        inner = data.get(nested)
        if isinstance(inner, dict):
            fields.update({f"{nested}.{k}": v for k, v in inner.items() if isinstance(v, str | int | float)})
    show = _pick(fields, SHOW_KEYS) or _pick(fields, ("podcast.title", "podcast.name", "show.title", "show.name"))
    episode = fields.get("episode")
    title = _pick(fields, TITLE_KEYS) or _pick(fields, ("episode.title", "episode.name"))
    if title is None and isinstance(episode, str) and find_number(episode) is None and not episode.isdigit():
        title = fold_spaces(episode)
    return Metadata(
        show=show,
        number=_number(fields),
        title=title,
        published=next((d for k in DATE_KEYS if (d := parse_date(fields.get(k))) is not None), None),
        url=next((str(fields[k]) for k in URL_KEYS if "://" in str(fields.get(k, ""))), None),
    )


def _pick(fields: dict, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = fields.get(key)
        if isinstance(value, str) and fold_spaces(value) and "://" not in value:
            return fold_spaces(value)
    return None


def _number(fields: dict) -> int | None:
    for key in (*NUMBER_KEYS, "episode.number"):
        value = fields.get(key)
        if isinstance(value, int) and 0 <= value < 100_000:
            return value
        if isinstance(value, str):
            if (number := checked_int(value)) is not None:
                return number
            if (found := find_number(value)) is not None:
                return found
    return None
