"""Detect a document's format from its content and parse it into episodes."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from bot.ingest import captions, headings, jsonread, listings, shownotes, xmlread
from bot.ingest import lines as lines_grammar
from bot.ingest.lines import clean_words
from bot.ingest.metadata import find_number, metadata_from_path, metadata_from_text, parse_date, partial_date
from bot.ingest.model import Metadata, ParsedDocument, ParsedEpisode, ParseError, Utterance
from bot.ingest.segmenter import build_segments
from bot.ingest.text import fold_spaces, is_placeholder_speaker
from bot.ingest.values import checked_int, load_yaml

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_XML_TRANSCRIPT = re.compile(
    r"(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!DOCTYPE[^[>]*(?:\[.*?\])?\s*>\s*)?<(?:\w+:)?(?:tt|Trans|timedtext|transcript)\b",
    re.DOTALL,
)
_FRONT_SHOWS = ("podcast", "show", "channel", "series", "podcast_name")
_FRONT_DATES = ("date", "pub_date", "pubDate", "published", "publish_date", "air_date", "recorded")
_FRONT_URLS = ("media", "audio", "url", "youtube_url", "link")
_LEADING_NUMBER = re.compile(r"^(?:#(\d{1,5})\s*[:.–-]?|(\d{1,5})\s*[:.–-])\s+(?=\S)")  # `#133 …`, `111: …`
_HEADER_FIELD = re.compile(
    r"^(Title|Publication date|Published|Date|Playlist|Show|Podcast|Episode|YouTube URL|URL|Media):[ \t]*(\S.*)$",
    re.IGNORECASE | re.MULTILINE,
)


def parse_document(text: str, path: Path) -> ParsedDocument:
    """Parse one decoded file; raise ParseError with a reason when it is no transcript."""
    head = text.lstrip()[:2000]
    if "[Script Info]" in head or "\nDialogue:" in text[:20000]:
        scan = captions.parse_ass(text)
        return _transcript("ass", scan.utterances, text, path, captioned=True, skipped=scan.skipped)
    if head.startswith("{") or re.match(r"\[\s*(?:[{\[\]\"]|$)", head):
        found = jsonread.parse_json_transcript(text)
        return _transcript(found.format, found.utterances, text, path, found.meta)
    if re.match(r"(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)?<(?:rss|feed|rdf:RDF)\b", head, re.DOTALL):
        cut = listings.capped_feed(text)[1]
        warnings = (f"{cut:,} feed items past the first {listings.MOST_FEED_ITEMS:,} not indexed",) if cut else ()
        return ParsedDocument("rss", tuple(listings.parse_feed(text)), warnings)
    if _XML_TRANSCRIPT.match(head):
        found = xmlread.parse_xml_transcript(text)
        return _transcript(found.format, found.utterances, text, path, found.meta, chapters=found.chapters)
    if "<cite" in head or ("<html" in head.lower() and "<cite" in text):
        return _transcript("html", listings.parse_transcript_html(text), text, path)

    body, front, data = _split_front_matter(text)
    lines = body.split("\n")
    if ("-->" in body or "," in body) and any(captions.timing_match(line) for line in lines):
        scan = captions.scan_cues(body)
        name = "vtt" if head.startswith("WEBVTT") else "srt" if "-->" in body else "sbv"
        return _transcript(name, scan.utterances, text, path, front, captioned=True, skipped=scan.skipped)
    content = [line for line in lines if line.strip()]
    if listings.looks_like_directory(content):
        return ParsedDocument("directory-page", tuple(listings.parse_directory(body)))
    table = captions.parse_tsv(content)
    if table is not None:
        return _transcript("tsv", table, text, path, front)
    scan = lines_grammar.scan_lines(body)
    topics = shownotes.topic_lines(body, scan.read)
    chapters = tuple(shownotes.front_chapters(data))
    topical = shownotes.are_topics(topics, scan.stamped)
    if topical or (chapters and not scan.looks_timed() and not scan.looks_like_dialogue()):
        notes = [Utterance(words) for line in shownotes.notes_text(body).split("\n") if (words := clean_words(line))]
        return _transcript("show-notes", notes, text, path, front, chapters=chapters or tuple(topics))
    chapters = chapters or headings.timed_headings(body)  # a transcript's own `## Topic` sections
    if scan.looks_timed():
        return _transcript("timestamped-text", scan.utterances, text, path, front, chapters=chapters)
    if _share(content, captions.LONE_STAMP.match) >= 0.15 and not scan.labels:
        return _transcript("caption-dump", captions.parse_caption_dump(body), text, path, front, captioned=True)
    if scan.looks_like_dialogue():
        name = "markdown-dialogue" if front or "**" in body[:5000] else "dialogue"
        return _transcript(name, scan.utterances, text, path, front, chapters=chapters)
    if front is not None and front.title and _is_prose(content):
        return _transcript("text", [Utterance(clean_words(line)) for line in content], text, path, front)
    raise ParseError("no timestamps, cues, speaker turns, titled prose or dated episode list found")


def _is_prose(lines: list[str]) -> bool:
    """A titled document whose body is paragraphs of speech, not headings, lists or tables."""
    words = [len(line.split()) for line in lines if not line.lstrip().startswith(("#", "-", "*", "|", "[", ">"))]
    return sum(words) >= 200 and sum(1 for count in words if count >= 12) >= 0.6 * len(lines)


def _share(lines: list[str], matches: Callable[[str], object]) -> float:
    sample = lines[:400]
    return sum(1 for line in sample if matches(line)) / len(sample) if sample else 0.0


def _split_front_matter(text: str) -> tuple[str, Metadata | None, dict]:
    match = _FRONT_MATTER.match(text.lstrip("\ufeff"))
    if not match:
        return text, None, {}
    try:
        data = load_yaml(match[1])
    except ParseError:
        return text[match.end() :], None, {}
    if not isinstance(data, dict):
        return text[match.end() :], None, {}
    dated = next((data[key] for key in _FRONT_DATES if data.get(key)), None)
    title = _text_or_none(data.get("title"))
    numbered = _LEADING_NUMBER.match(title) if title else None
    episode = data.get("episode", data.get("episode_number", data.get("number")))
    number = checked_int(episode)
    return (
        text[match.end() :],
        Metadata(
            show=next((shown for key in _FRONT_SHOWS if (shown := _text_or_none(data.get(key)))), None),
            number=number if number is not None else int(numbered[1] or numbered[2]) if numbered else None,
            title=title[numbered.end() :] if numbered else title,
            published=parse_date(dated),
            url=next((url for key in _FRONT_URLS if "://" in (url := str(data.get(key) or ""))), None),
            description=_text_or_none(data.get("summary") or data.get("description")),
            published_partial=partial_date(dated),
        ),
        data,
    )


def _text_or_none(value: object) -> str | None:
    return fold_spaces(str(value)) or None if value not in (None, "") else None


def _header_metadata(text: str) -> Metadata:
    fields: dict[str, str] = {}
    for match in _HEADER_FIELD.finditer(text[:3000] + "\n" + text[-3000:]):
        fields.setdefault(match[1].lower(), match[2].strip())
    title = fields.get("title")
    show = next((v for k in ("show", "podcast", "playlist") if (v := fields.get(k)) and "://" not in v), None)
    return Metadata(
        show=re.sub(r"\s+#\w+", "", show).strip() if show else None,
        number=find_number(fields["episode"]) if "episode" in fields else None,
        title=title,
        published=parse_date(fields.get("publication date") or fields.get("published") or fields.get("date")),
        url=fields.get("youtube url") or fields.get("url") or fields.get("media"),
    )


def _transcript(
    name: str,
    utterances: list[Utterance],
    text: str,
    path: Path,
    front: Metadata | None = None,
    *,
    captioned: bool = False,
    skipped: int = 0,
    chapters: tuple[tuple[float, str], ...] = (),
) -> ParsedDocument:
    utterances = _carry_speakers(_without_placeholders(utterances))
    segments = tuple(build_segments(utterances, captions=captioned))
    if not segments:
        raise ParseError(f"{name} file with no text")
    from_path = metadata_from_path(path)
    from_text = metadata_from_text(" ".join(s.text for s in segments[:60]))
    stated = (front or Metadata()).merged_over(_header_metadata(text))
    meta = stated.merged_over(Metadata(number=from_path.number))  # a file name's number beats an intro's mention
    meta = meta.merged_over(from_text).merged_over(from_path)
    show_origin = "explicit" if stated.show else "text" if from_text.show else "folder"
    title_origin = "explicit" if stated.title else "derived"
    published_origin = "explicit" if stated.published else "recorded"
    ends = [s.end if s.end is not None else s.start for s in segments]
    known_ends = [end for end in ends if end is not None]
    if meta.duration is None and known_ends:
        meta = Metadata(**{**_as_dict(meta), "duration": max(known_ends)})
    real = any(s.speaker for s in segments)
    warnings = (f"{skipped} unreadable cue(s) skipped",) if skipped else ()
    episode = ParsedEpisode(
        meta,
        segments,
        real,
        show_origin=show_origin,
        title_origin=title_origin,
        published_origin=published_origin,
        chapters=chapters,
    )
    return ParsedDocument(name, (episode,), warnings)


def _as_dict(meta: Metadata) -> dict[str, object]:
    return {name: getattr(meta, name) for name in Metadata.__dataclass_fields__}


def _without_placeholders(utterances: list[Utterance]) -> list[Utterance]:
    """`SPEAKER_00`, `Speaker 1`, `Unknown Speaker` mark a turn but name no one."""
    kept = []
    previous: str | None = None
    for utterance in utterances:
        label = utterance.speaker
        if label and is_placeholder_speaker(label):
            turn = utterance.new_turn or label != previous
            kept.append(Utterance(utterance.text, utterance.start, utterance.end, None, turn))
        else:
            kept.append(utterance)
        previous = label or previous
    return kept


def _carry_speakers(utterances: list[Utterance]) -> list[Utterance]:
    """An unlabelled cue belongs to the last named speaker until a turn marker says otherwise."""
    if not any(u.speaker for u in utterances):
        return utterances
    carried = []
    speaker: str | None = None
    for utterance in utterances:
        if utterance.speaker is not None or utterance.new_turn:
            speaker = utterance.speaker
            carried.append(utterance)
        else:
            carried.append(Utterance(utterance.text, utterance.start, utterance.end, speaker, False))
    return carried
