"""XML transcripts read by structure: elements with a time attribute and text.

One reader serves TTML (`<p begin end ttm:agent>`, Apple Podcasts and generic), YouTube timedtext
(srv3 `<p t d>` in milliseconds, srv1 `<text start dur>`) and Transcriber TRS (`<Turn speaker
startTime>` split at `<Sync time>`, `<Speakers>` naming the ids, `<Topics>` as chapters). Of the
timed elements, the kind holding the most text wins, and among kinds holding nearly as much the one
with speakers, then the fewest (largest) elements. An untimed child with a time (`<Sync/>`) starts a new utterance.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass

from bot.ingest.metadata import parse_date
from bot.ingest.model import Metadata, ParseError, Utterance
from bot.ingest.text import clean_markup, fold_spaces, parse_timestamp

START_ATTRS = ("begin", "start", "startTime", "t", "time", "from")
END_ATTRS = ("end", "endTime", "stop")
DURATION_ATTRS = ("dur", "d", "duration")
SPEAKER_ATTRS = ("agent", "speaker", "who")
MILLISECOND_ATTRS = frozenset(["t", "d"])  # YouTube srv3
SHOW_ATTRS = ("program", "show", "podcast", "series")
DATE_ATTRS = ("air_date", "date", "published", "pubDate")
_CLOCK_UNIT = re.compile(r"^(\d+(?:\.\d+)?)(h|m|s|ms|f|t)$")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
LOOKED_FOR = "elements with a time attribute (begin, start, t, startTime) and text"


@dataclass(frozen=True, slots=True)
class XmlTranscript:
    """The utterances of an XML transcript, its facts, and the chapters it times."""

    utterances: list[Utterance]
    meta: Metadata
    chapters: tuple[tuple[float, str], ...]
    format: str


def parse_xml_transcript(text: str) -> XmlTranscript:
    """Read TTML, YouTube timedtext or Transcriber TRS; ParseError says what was looked for."""
    if "<!ENTITY" in text[:20000]:
        raise ParseError("XML that declares entities is not read")
    try:
        root = ET.fromstring(_XML_DECLARATION.sub("", text, count=1))
    except ET.ParseError as error:
        raise ParseError(f"invalid XML: {error}") from error
    for element in root.iter():
        element.tag = _local(element.tag)
        element.attrib = {_local(k): v for k, v in element.attrib.items()}
    tick_rate = float(root.get("tickRate") or 1)
    kinds: dict[str, list[ET.Element]] = defaultdict(list)
    for element in root.iter():
        if _first(element.attrib, START_ATTRS) and _words(element):
            kinds[element.tag].append(element)
    if not kinds:
        raise ParseError(f"XML with no transcript: looked for {LOOKED_FOR}")
    sizes = {tag: sum(len(_words(e)) for e in elements) for tag, elements in kinds.items()}
    most = max(sizes.values())
    spoken = {t for t, elements in kinds.items() if any(_first(e.attrib, SPEAKER_ATTRS) for e in elements)}
    near = [t for t in kinds if sizes[t] >= 0.8 * most]
    tag = min(near, key=lambda t: (t not in spoken, len(kinds[t])))  # speaker turns over their sections
    names = _speaker_names(root)
    utterances = [u for element in kinds[tag] for u in _element_utterances(element, names, tick_rate)]
    if not utterances:
        raise ParseError(f"XML transcript with no text: looked for {LOOKED_FOR}")
    name = {"Turn": "trs", "text": "timedtext"}.get(tag, "timedtext" if root.tag == "timedtext" else "ttml")
    return XmlTranscript(utterances, _metadata(root), _topics(root, tick_rate), name)


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _first(attrs: dict[str, str], names: tuple[str, ...]) -> str | None:
    return next((name for name in names if name in attrs), None)


def _words(element: ET.Element) -> str:
    return fold_spaces(" ".join(element.itertext()))


def _seconds(value: str | None, attr: str, tick_rate: float) -> float | None:
    if value is None:
        return None
    raw = value.strip()
    if attr in MILLISECOND_ATTRS and raw.isdigit():
        return int(raw) / 1000
    unit = _CLOCK_UNIT.match(raw)
    if unit:
        number, suffix = float(unit[1]), unit[2]
        return round(number / tick_rate, 3) if suffix == "t" else number * _UNITS.get(suffix, 1.0)
    try:
        number = float(raw)
    except ValueError:
        return parse_timestamp(raw)
    return number if math.isfinite(number) and number >= 0 else None


def _times(element: ET.Element, tick_rate: float) -> tuple[float | None, float | None]:
    start_attr = _first(element.attrib, START_ATTRS)
    start = _seconds(element.get(start_attr), start_attr, tick_rate) if start_attr else None
    end_attr = _first(element.attrib, END_ATTRS)
    end = _seconds(element.get(end_attr), end_attr, tick_rate) if end_attr else None
    duration_attr = _first(element.attrib, DURATION_ATTRS)
    if end is None and start is not None and duration_attr:
        length = _seconds(element.get(duration_attr), duration_attr, tick_rate)
        end = start + length if length is not None else None
    return start, end


def _speaker_names(root: ET.Element) -> dict[str, str]:
    """Speaker ids to names: TRS `<Speaker id name>`, TTML `<ttm:agent xml:id><ttm:name>`."""
    names = {}
    for element in root.iter():
        key = element.get("id")
        if key is None or element.tag not in ("Speaker", "agent"):
            continue
        named = element.get("name") or next((fold_spaces(c.text or "") for c in element if c.tag == "name"), "")
        if named:
            names[key] = named
    return names


def _element_utterances(element: ET.Element, names: dict[str, str], tick_rate: float) -> list[Utterance]:
    start, end = _times(element, tick_rate)
    speaker_attr = _first(element.attrib, SPEAKER_ATTRS)
    ids = element.get(speaker_attr, "").split() if speaker_attr else []
    speaker = names.get(ids[0], ids[0]) if len(ids) == 1 else None  # two ids: overlapping speech
    pieces: list[tuple[float | None, list[str]]] = [(start, [element.text or ""])]
    for child in element:
        milestone = _first(child.attrib, START_ATTRS) and not _words(child)
        if milestone and child.tag != "Background":
            pieces.append((_times(child, tick_rate)[0], []))
        elif child.tag == "br":
            pieces[-1][1].append(" ")
        else:
            pieces[-1][1].append(" ".join(child.itertext()))
        pieces[-1][1].append(child.tail or "")
    utterances = []
    for index, (at, parts) in enumerate(pieces):
        words = clean_markup(" ".join(parts))
        if words:
            following = next((p[0] for p in pieces[index + 1 :] if p[0] is not None), end)
            utterances.append(Utterance(words, at, following, speaker, new_turn=index == 0 and bool(ids)))
    return utterances


def _topics(root: ET.Element, tick_rate: float) -> tuple[tuple[float, str], ...]:
    """TRS `<Section topic>` starts, named by `<Topic id desc>`: the document's own chapters."""
    topics = {t.get("id"): fold_spaces(t.get("desc", "")) for t in root.iter("Topic") if t.get("desc")}
    marks: dict[float, str] = {}
    for section in root.iter("Section"):
        start = _times(section, tick_rate)[0]
        if start is not None and topics.get(section.get("topic")):
            marks.setdefault(start, topics[section.get("topic")])
    return tuple(sorted(marks.items()))


def _metadata(root: ET.Element) -> Metadata:
    show = date = title = None
    for element in root.iter():
        show = show or next((element.get(a) for a in SHOW_ATTRS if element.get(a)), None)
        date = date or next((element.get(a) for a in DATE_ATTRS if element.get(a)), None)
        if title is None and element.tag == "title" and (element.text or "").strip():
            title = fold_spaces(element.text or "")
    return Metadata(show=fold_spaces(show) if show else None, title=title, published=_xml_date(date))


def _xml_date(value: str | None) -> object:
    if not value:
        return None
    compact = re.match(r"^(\d{2})(\d{2})(\d{2})(?::\d{4})?$", value)  # Transcriber's `980428:0700`
    if compact:
        century = "19" if int(compact[1]) > 50 else "20"
        return parse_date(f"{century}{compact[1]}-{compact[2]}-{compact[3]}")
    return parse_date(value)
