"""Every transcript shape people really have: a quote from each is found at its second, by its speaker.

The samples are written here, in the shapes of real files (see ../shared/corpus/formats/MANIFEST.md).
Each shape is searched three ways: the exact line, the line with a word dropped, and a misspelt line.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bot.ingest.indexer import episode_facts, index_paths, read_document
from bot.ingest.metadata import metadata_from_path, metadata_from_text, parse_date, partial_date
from bot.ingest.model import ParseError
from bot.ingest.text import clean_markup
from bot.search.engine import Searcher
from storage import Store
from tests.conftest import write

# (start second, speaker, line): the quote searched for is the second line.
LINES = [
    (12.5, "Ana Ruiz", "The lighthouse keeper counted every gull that landed on the railing."),
    (19.0, "Ben Okafor", "Nobody believed him until the ledger turned up in the attic."),
    (27.25, "Ana Ruiz", "Marmalade sandwiches were the only thing he packed for the winter."),
]
QUERIES = (
    "Nobody believed him until the ledger turned up in the attic",
    "Nobody believed him until the ledger turned up in attic",
    "Nobody beleived him until the ledgr turned up in the attic",
)
CODES = {"Ana Ruiz": "SPEAKER_00", "Ben Okafor": "SPEAKER_01"}


def _ends() -> list[float]:
    return [start + 5.0 for start, _, _ in LINES]


def _words(line: str, start: float) -> list[tuple[str, float, float]]:
    words = line.split()
    return [(word, round(start + 0.4 * i, 2), round(start + 0.4 * i + 0.3, 2)) for i, word in enumerate(words)]


def whisper_json() -> str:
    segments = [
        {"id": i, "seek": 0, "start": s, "end": e, "text": f" {t}", "tokens": [50364, 1], "no_speech_prob": 0.01}
        for i, ((s, _, t), e) in enumerate(zip(LINES, _ends(), strict=True))
    ]
    return json.dumps({"text": " ".join(t for *_, t in LINES), "segments": segments, "language": "en"})


def whisperx_json() -> str:
    segments = []
    for (start, speaker, line), end in zip(LINES, _ends(), strict=True):
        words = [
            {"word": w, "start": a, "end": b, "score": 0.9, "speaker": CODES[speaker]}
            for w, a, b in _words(line, start)
        ]
        segments.append({"start": start, "end": end, "text": f" {line}", "words": words})
    segments[0]["words"].append({"word": "30,000"})  # a number with no times, as whisperX leaves them
    return json.dumps({"segments": segments, "language": "en"}, indent=2)


def assemblyai_json() -> str:
    utterances = [
        {"text": t, "start": int(s * 1000), "end": int(e * 1000), "confidence": 0.9, "speaker": "AB"[i % 2]}
        for i, ((s, _, t), e) in enumerate(zip(LINES, _ends(), strict=True))
    ]
    return json.dumps({"id": "x1", "language_code": "en", "utterances": utterances, "audio_duration": 40}, indent=4)


def deepgram_json() -> str:
    words = []
    for start, speaker, line in LINES:
        for word, a, b in _words(line, start):
            bare = word.strip(".,").lower()
            words.append(
                {"word": bare, "punctuated_word": word, "start": a, "end": b, "speaker": int(speaker[0] == "B")}
            )
    alternative = {"transcript": " ".join(t for *_, t in LINES), "words": words}
    return json.dumps({"metadata": {"duration": 40.0}, "results": {"channels": [{"alternatives": [alternative]}]}})


def amazon_json() -> str:
    items, labels = [], []
    for start, speaker, line in LINES:
        label = "spk_" + CODES[speaker][-1]
        labels.append({"start_time": str(start), "end_time": str(start + 5), "speaker_label": label})
        for word, a, b in _words(line.rstrip("."), start):
            items.append(
                {"start_time": str(a), "end_time": str(b), "alternatives": [{"content": word}], "type": "pronunciation"}
            )
        items.append({"alternatives": [{"confidence": "0.0", "content": "."}], "type": "punctuation"})
    results = {
        "transcripts": [{"transcript": "…"}],
        "speaker_labels": {"speakers": 2, "segments": labels},
        "items": items,
    }
    return json.dumps({"jobName": "job", "results": results, "status": "COMPLETED"})


def speechmatics_json() -> str:
    words, speakers = [], []
    for start, speaker, line in LINES:
        speakers.append({"name": "F4" if speaker[0] == "A" else "M2", "time": str(start), "duration": "5.0"})
        for word, a, _ in _words(line.rstrip("."), start):
            words.append({"name": word, "time": str(a), "duration": "0.30", "confidence": "0.9"})
        words.append({"name": ".", "time": str(start + 4.9), "duration": "0.0"})
    return json.dumps({"job": {"lang": "en", "duration": 40}, "speakers": speakers, "words": words, "format": "1.0"})


def site_export_json() -> str:
    transcript = [{"timestamp": f"0:00:{s:04.1f}", "speaker": p, "text": t} for s, p, t in LINES]
    transcript[1]["timestamp"] = "0:00:19.0"
    return json.dumps({"podcast": "Harbour Tales", "episode": "The Keeper's Ledger", "transcript": transcript})


def turns_array_json() -> str:
    return json.dumps(
        [{"speaker": p, "start": s, "end": e, "text": t} for (s, p, t), e in zip(LINES, _ends(), strict=True)]
    )


def youtube_json3() -> str:
    events = [{"tStartMs": 0, "dDurationMs": 40000, "id": 1, "wpWinPosId": 1}]
    for start, _, line in LINES:
        first, rest = line.split(" ", 1)
        segs = [{"utf8": first}, {"utf8": f" {rest}", "tOffsetMs": 400}]
        events.append({"tStartMs": int(start * 1000), "dDurationMs": 5000, "wWinId": 1, "segs": segs})
        events.append({"tStartMs": int(start * 1000) + 4000, "wWinId": 1, "aAppend": 1, "segs": [{"utf8": "\n"}]})
    return json.dumps({"wireMagic": "pb3", "events": events})


def _clock(seconds: float, hours: bool = False) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}:{rest:02d}" if hours else f"{minutes}:{rest:02d}"


def otter_txt() -> str:
    turns = [f"{p}  {_clock(t)}\n{line}\n" for t, p, line in LINES]
    turns.insert(1, "Unknown Speaker  0:16\nMm hmm.\n")
    return "\n".join(turns) + "\nTranscribed by https://otter.ai\n"


def otter_bold_md() -> str:
    return "\n".join(f"**{p}**  {_clock(t)}\n\n{line}\n" for t, p, line in LINES)


def otter_prefixed_txt() -> str:  # an upload tool put `0:00 ` before every line
    return (
        "\n".join(f"0:00 {p}  {_clock(t)}\n\n0:00 {line}\n" for t, p, line in LINES)
        + "\n0:00 Transcribed by https://otter.ai\n"
    )


def bracket_name_time_txt() -> str:
    return "\n".join(f"[{p}] [{_clock(t, True)}] {line}" for t, p, line in LINES) + "\n"


def bracket_placeholder_time_txt() -> str:
    return "\n".join(f"[Speaker {i % 2 + 1}] [{_clock(t)}] {line}" for i, (t, _, line) in enumerate(LINES)) + "\n"


def name_line_stamp_line_md() -> str:
    front = "---\ntitle: The Keeper's Ledger\ndate: 03.15.21\ntags: [harbour-tales]\n---\n\n"
    return front + "\n".join(f"{p}\n[{_clock(t, True)}]\n{line}\n" for t, p, line in LINES)


def stamp_bold_name_md() -> str:
    return (
        "\n\n".join(f"0:{int(t) // 60:02d}:{int(t) % 60:02d}.{int(t * 10) % 10} **{p}** {line}" for t, p, line in LINES)
        + "\n"
    )


def bold_name_stamp_md() -> str:
    return "\n\n".join(f"**{p}** [{_clock(t)}] {line}" for t, p, line in LINES) + "\n"


def rev_name_paren_time_md() -> str:
    body = [f"{p} ({_clock(t, True)[3:]}):\n{line}\n" for t, p, line in LINES]
    body.insert(2, "(00:24):\nAnd nobody asked again.\n")
    return "# The Keeper's Ledger\n\n## Transcript\n\n" + "\n".join(body)


def bracket_time_name_colon_md() -> str:
    return "\n".join(f"[{_clock(t, True)}] {p.split()[0]}: {line}" for t, p, line in LINES) + "\n"


def npr_caps_txt() -> str:
    roles = {"Ana Ruiz": "HOST", "Ben Okafor": "BYLINE"}
    return "\n\n".join(f"{p.upper()}, {roles[p]}: [{_clock(t)}] {line}" for t, p, line in LINES) + "\n"


def lrc() -> str:
    return "[ti:The Keeper's Ledger]\n" + "\n".join(
        f"[{_clock(t).zfill(5)}.{int(t * 100) % 100:02d}]{line}" for t, _, line in LINES
    )


def vtt_voice() -> str:
    cues = [f"{_clock(t, True)}.000 --> {_clock(t + 5, True)}.000\n<v {p}>{line}</v>\n" for t, p, line in LINES]
    return "WEBVTT\n\n" + "\n".join(cues)


def trs_xml() -> bytes:
    ids = {"Ana Ruiz": "sp1", "Ben Okafor": "sp2"}
    turns = []
    for (start, speaker, line), end in zip(LINES, [*[s for s, _, _ in LINES[1:]], 32.0], strict=True):
        half = line.split(" ", 3)
        turns.append(
            f'<Turn speaker="{ids[speaker]}" startTime="{start}" endTime="{end}">\n<Sync time="{start}"/>\n'
            f'{" ".join(half[:3])}\n<Event desc="rire" type="noise" extent="instantaneous"/>\n{half[3]}\n</Turn>'
        )
    return (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n<!DOCTYPE Trans SYSTEM "trans-14.dtd">\n'
        '<Trans scribe="me" audio_filename="keeper" version="1" version_date="260101">\n'
        '<Topics>\n<Topic id="to1" desc="le gardien"/>\n<Topic id="to2" desc="le grenier"/>\n</Topics>\n'
        '<Speakers>\n<Speaker id="sp1" name="Ana Ruiz" type="female"/>\n'
        '<Speaker id="sp2" name="Ben Okafor"/>\n</Speakers>\n'
        '<Episode program="Radio Phare" air_date="260315:0700">\n'
        f'<Section type="report" topic="to1" startTime="0" endTime="19.0">\n<Turn startTime="0" endTime="12.5">\n'
        f'<Sync time="0"/>\n</Turn>\n{turns[0]}\n</Section>\n'
        f'<Section type="report" topic="to2" startTime="19.0" endTime="32.0">\n{chr(10).join(turns[1:])}\n</Section>\n'
        "</Episode>\n</Trans>\n"
    ).encode("latin-1")


def ttml_xml() -> str:
    agents = {"Ana Ruiz": "a1", "Ben Okafor": "a2"}
    ps = "".join(
        f'<p begin="{s}s" end="{e}s" ttm:agent="{agents[p]}">'
        f"<span>{t.split(' ', 1)[0]}</span> <span>{t.split(' ', 1)[1]}</span></p>"
        for (s, p, t), e in zip(LINES, _ends(), strict=True)
    )
    head = "".join(
        f'<ttm:agent xml:id="{i}" type="person"><ttm:name>{n}</ttm:name></ttm:agent>' for n, i in agents.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<tt xmlns="http://www.w3.org/ns/ttml" '
        'xmlns:ttm="http://www.w3.org/ns/ttml#metadata"><head><metadata><ttm:title>The Keeper</ttm:title>'
        f"{head}</metadata></head><body><div>{ps}</div></body></tt>"
    )


def youtube_srv3() -> str:
    ps = "".join(
        f'<p t="{int(s * 1000)}" d="5000" w="1"><s ac="0">{t.split(" ", 1)[0]}</s>'
        f'<s t="400" ac="0"> {t.split(" ", 1)[1]}</s></p>'
        for s, _, t in LINES
    )
    return f'<?xml version="1.0" encoding="utf-8" ?><timedtext format="3">\n<body>\n{ps}\n</body>\n</timedtext>'


def youtube_srv1() -> str:
    texts = "".join(f'<text start="{s}" dur="5.0">{t.replace(chr(39), "&amp;#39;")}</text>' for s, _, t in LINES)
    return f'<?xml version="1.0" encoding="utf-8" ?><transcript>{texts}</transcript>'


# shape: (file name, writer, whether its speaker labels are names)
SHAPES = {
    "whisper-json": ("ep-12-keeper.json", whisper_json, False),
    "whisperx-json": ("ep-12-keeper.en.json", whisperx_json, False),
    "assemblyai-json": ("ep-12-transcript.json", assemblyai_json, False),
    "deepgram-json": ("ep-12-deepgram.json", deepgram_json, False),
    "amazon-transcribe-json": ("ep-12-amazon.json", amazon_json, False),
    "speechmatics-json": ("ep-12-speechmatics.json", speechmatics_json, False),
    "site-export-json": ("keeper.json", site_export_json, True),
    "turns-array-json": ("council-turns.json", turns_array_json, True),
    "youtube-json3": ("keeper.json3", youtube_json3, False),
    "otter-txt": ("ep-12-keeper.txt", otter_txt, True),
    "otter-bold-md": ("ep-12-keeper.md", otter_bold_md, True),
    "otter-prefixed-txt": ("ep-12-keeper.txt", otter_prefixed_txt, True),
    "bracket-name-time-txt": ("ep-12-keeper.txt", bracket_name_time_txt, True),
    "bracket-placeholder-time-txt": ("ep-12-keeper.txt", bracket_placeholder_time_txt, False),
    "name-line-stamp-line-md": ("ep-12-keeper.md", name_line_stamp_line_md, True),
    "stamp-bold-name-md": ("ep-12-keeper.md", stamp_bold_name_md, True),
    "bold-name-stamp-md": ("ep-12-keeper.md", bold_name_stamp_md, True),
    "rev-name-paren-time-md": ("transcript.md", rev_name_paren_time_md, True),
    "npr-caps-txt": ("ep-12-keeper.txt", npr_caps_txt, True),
    "lrc": ("ep-12-keeper.lrc", lrc, False),
    "vtt-voice": ("ep-12-keeper.vtt", vtt_voice, True),
    "transcriber-trs": ("keeper.trs", trs_xml, True),
    "ttml": ("keeper.ttml", ttml_xml, True),
    "youtube-srv3": ("keeper.srv3", youtube_srv3, False),
    "youtube-srv1": ("keeper.xml", youtube_srv1, False),
}


async def _search_each_way(store: Store, folder: Path) -> list[tuple[float | None, str | None]]:
    await index_paths(store, [folder])
    searcher = Searcher(store)
    found = []
    for query in QUERIES:
        hits = await searcher.search(query)
        assert hits, query
        found.append((hits[0].start_seconds, hits[0].speaker))
    return found


@pytest.mark.parametrize("shape", sorted(SHAPES))
async def test_each_shape_finds_the_line_at_its_second_by_its_speaker(shape: str, store: Store, tmp_path: Path) -> None:
    name, writer, named = SHAPES[shape]
    write(tmp_path / "harbour-tales", name, writer())
    found = await _search_each_way(store, tmp_path)
    assert found == [(19.0, "Ben Okafor" if named else None)] * 3


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_each_shape_lists_only_real_speakers(shape: str, tmp_path: Path) -> None:
    name, writer, named = SHAPES[shape]
    (episode,) = read_document(write(tmp_path, name, writer())).episodes
    speakers = {s.speaker for s in episode.segments if s.speaker}
    assert speakers == ({"Ana Ruiz", "Ben Okafor"} if named else set())
    assert all(s.start is not None for s in episode.segments)


def test_a_site_export_names_its_show_and_title(tmp_path: Path) -> None:
    (episode,) = read_document(write(tmp_path, "keeper.json", site_export_json())).episodes
    assert (episode.meta.show, episode.meta.title, episode.show_origin) == (
        "Harbour Tales",
        "The Keeper's Ledger",
        "explicit",
    )


def test_json_with_no_timed_text_list_names_what_was_looked_for(tmp_path: Path) -> None:
    headers = {"url": "https://example.org/rss", "response": {"headers": {"date": "Wed, 01 Jul 2026 03:37:14 GMT"}}}
    untimed = {"sentenceMetadata": [["0", 6, 3.0, 9.5]], "items": [{"text": "no time here"}]}
    for data in (headers, untimed, [{"id": 1}, {"id": 2}]):
        with pytest.raises(ParseError, match=r"looked for a list of objects with a time field .* and a text field"):
            read_document(write(tmp_path, "x.json", json.dumps(data)))


def test_no_markdown_or_entity_reaches_segment_text(tmp_path: Path) -> None:
    text = (
        "**Ana Ruiz** [0:12] The *keeper* counted gulls &amp; terns \\[laughs\\] on [the railing](https://x.org).\n\n"
        "**Ben Okafor** [0:19] Nobody believed him &mdash; until the __ledger__ turned up.\n\n"
        "**Ana Ruiz** [0:27] Marmalade&nbsp;sandwiches, again.\n"
    )
    (episode,) = read_document(write(tmp_path, "ep.md", text)).episodes
    words = " ".join(s.text for s in episode.segments)
    assert "keeper counted gulls & terns on the railing." in words
    assert not any(mark in words for mark in ("*", "_", "&amp;", "&mdash;", "[", "](", "laughs"))


def test_a_stamp_that_never_changes_gives_way_to_the_header_times(tmp_path: Path) -> None:
    (episode,) = read_document(write(tmp_path, "ep.txt", otter_prefixed_txt())).episodes
    assert [(s.start, s.speaker) for s in episode.segments] == [(12, "Ana Ruiz"), (19, "Ben Okafor"), (27, "Ana Ruiz")]
    assert "otter.ai" not in " ".join(s.text for s in episode.segments)


@pytest.mark.parametrize(
    ("value", "full", "partial"),
    [
        ("2019", None, "2019"),
        ("March 2020", None, "2020-03"),
        ("03.15.21", "2021-03-15", None),
        ("'\n\n  September 23rd, 2021'".strip("'"), "2021-09-23", None),
        ("Wed, 01 Jul 2026 03:37:14 GMT", "2026-07-01", None),
        (1616025600, "2021-03-18", None),
        (1616025600000, "2021-03-18", None),
        ("2024-07-23 04:00:00+00:00", "2024-07-23", None),
    ],
)
def test_dates_are_read_without_inventing_a_month_or_day(value: object, full: str | None, partial: str | None) -> None:
    parsed = parse_date(value)
    assert (parsed.isoformat() if parsed else None, partial_date(value)) == (full, partial)


def test_a_year_only_front_matter_date_is_kept_but_never_an_anniversary(tmp_path: Path) -> None:
    text = "---\ntitle: Old Tapes\ndate: 2019\n---\n\n" + bracket_name_time_txt()
    (episode,) = read_document(write(tmp_path, "tapes.md", text)).episodes
    facts = episode_facts(episode, tmp_path / "tapes.md")
    assert (facts.published, facts.published_partial) == (None, "2019")


@pytest.mark.parametrize(
    ("name", "number", "title"),
    [
        ("07-sql-part-2.txt", 7, "Sql Part 2"),
        ("pythonbytes-310-calling-all-tools-for-readmes.txt", 310, "Calling All Tools For Readmes"),
        ("roaming-holiday-179.transcription__base.json", 179, None),
        ("475-language-summit-2024.vtt", 475, "Language Summit 2024"),
    ],
)
def test_titles_from_file_names_keep_their_numbers(name: str, number: int, title: str | None) -> None:
    meta = metadata_from_path(Path("casts", name))
    assert (meta.number, meta.title) == (number, title)


def test_a_date_in_a_file_name_dates_the_episode() -> None:
    assert metadata_from_path(Path("council", "council-apr-07-2026_seg018.json")).published == dt.date(2026, 4, 7)


@pytest.mark.parametrize(
    ("intro", "show"),
    [
        ("welcome to the widget podcast, I'm Ana.", "Widget Podcast"),
        ("This is Talk Python to Me, episode 91.", "Talk Python To Me"),
        ("This is 42% Curious. Today, tides.", "42% Curious"),
        ("Hello and welcome to Nightjar, a podcast about birds.", "Nightjar"),
        ("This is Michael Kennedy. Welcome.", None),
        ("Hello and welcome to Python bytes where we deliver news.", "Python Bytes"),
        ("Hello, and welcome to python bytes where we deliver news.", "Python Bytes"),
        ("This is the first ever live recording of this podcast.", None),
    ],
)
def test_a_show_named_in_the_intro_in_any_case(intro: str, show: str | None) -> None:
    assert metadata_from_text(intro).show == show


def test_front_matter_names_the_show_and_a_numbered_title(tmp_path: Path) -> None:
    text = "---\ntitle: '111: Human: How are you'\npub_date: September 25, 2025\nchannel: Harbour Tales\n---\n\n"
    (episode,) = read_document(write(tmp_path, "x.md", text + bracket_name_time_txt())).episodes
    meta = episode.meta
    assert (meta.show, meta.number, meta.title, str(meta.published)) == (
        "Harbour Tales",
        111,
        "Human: How are you",
        "2025-09-25",
    )


def test_a_caption_whose_last_line_is_a_number_keeps_it(tmp_path: Path) -> None:
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nthe best year was\n2015\n\n00:00:04.000 --> 00:00:06.000\nor so\n"
    (episode,) = read_document(write(tmp_path, "x.vtt", text)).episodes
    assert "the best year was 2015" in " ".join(s.text for s in episode.segments)


def test_feed_show_notes_paragraphs_do_not_glue_sentences() -> None:
    assert clean_markup("<p>Wie man ankommt.</p><p>In dieser Episode</p>") == "Wie man ankommt. In dieser Episode"


def test_transcriber_topics_become_chapters_and_the_program_the_show(tmp_path: Path) -> None:
    (episode,) = read_document(write(tmp_path, "keeper.trs", trs_xml())).episodes
    assert episode.chapters == ((0.0, "le gardien"), (19.0, "le grenier"))
    assert (episode.meta.show, str(episode.meta.published)) == ("Radio Phare", "2026-03-15")


def test_xml_that_declares_entities_is_refused(tmp_path: Path) -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE tt [<!ENTITY a "aaaa">]><tt><body><p begin="1s">&a;</p></body></tt>'
    with pytest.raises(ParseError, match="entities"):
        read_document(write(tmp_path, "x.ttml", bomb))


def whisper_tsv(header: bool = True) -> str:
    rows = [f"{int(s * 1000)}\t{int(e * 1000)}\t{t}" for (s, _, t), e in zip(LINES, _ends(), strict=True)]
    return "\n".join((["start\tend\ttext"] if header else []) + rows) + "\n"


@pytest.mark.parametrize("header", [True, False])
async def test_whisper_tsv_in_milliseconds_with_or_without_a_header(header: bool, store: Store, tmp_path: Path) -> None:
    write(tmp_path / "casts", "ep-12-keeper.tsv", whisper_tsv(header))
    assert await _search_each_way(store, tmp_path / "casts") == [(19.0, None)] * 3


SHOW_NOTES = """---
title: "#12 The Keeper's Ledger"
pubDate: 2021-03-15 04:00:00+00:00
---
In this episode we climb the lighthouse &amp; read the ledger.

* **[00:00](#t=00:00)** Intro
* **[02:18](#t=02:18)** The gulls on the railing
* **[09:40](#t=09:40)** What the attic held
* **[21:05](#t=21:05)** Marmalade for the winter
"""


def test_show_notes_topics_become_chapters_each_at_its_own_time(tmp_path: Path) -> None:
    document = read_document(write(tmp_path, "12-keeper.md", SHOW_NOTES))
    (episode,) = document.episodes
    assert document.format == "show-notes"
    assert episode.chapters == (
        (0.0, "Intro"),
        (138.0, "The gulls on the railing"),
        (580.0, "What the attic held"),
        (1265.0, "Marmalade for the winter"),
    )
    assert (episode.meta.number, episode.meta.title, str(episode.meta.published)) == (
        12,
        "The Keeper's Ledger",
        "2021-03-15",
    )
    assert "climb the lighthouse & read the ledger" in " ".join(s.text for s in episode.segments)


@pytest.mark.parametrize(
    "topics",
    [
        "2:18 - The gulls on the railing\n9:40 - What the attic held\n21:05 - Marmalade for the winter\n",
        "<p>(00:02:18) The gulls on the railing</p><p>(00:09:40) What the attic held</p><p>(00:21:05) Marmalade</p>",
        "2:18\nThe gulls on the railing\n9:40\nWhat the attic held\n21:05\nMarmalade for the winter\n",
    ],
    ids=["dash", "html-paragraphs", "stamp-lines"],
)
def test_show_notes_topic_shapes(topics: str, tmp_path: Path) -> None:
    text = "---\ntitle: The Keeper\nchapters: []\n---\nNotes for the episode.\n\n" + topics
    (episode,) = read_document(write(tmp_path, "keeper.md", text)).episodes
    assert [start for start, _ in episode.chapters] == [138.0, 580.0, 1265.0]


def test_front_matter_chapter_list_is_read(tmp_path: Path) -> None:
    text = (
        "---\ntitle: The Keeper\nchapter:\n- start: 00:00:00\n  title: Intro\n- start: 00:02:18\n  title: Gulls\n---\n"
    )
    (episode,) = read_document(write(tmp_path, "keeper.md", text + "<p>Notes about gulls.</p>")).episodes
    assert episode.chapters == ((0.0, "Intro"), (138.0, "Gulls"))


def test_titled_untimed_prose_indexes_as_text(tmp_path: Path) -> None:
    paragraph = " ".join(t for *_, t in LINES)
    text = "---\ntitle: '12: The Keeper'\npub_date: '\n\n  March 15th, 2021'\n---\n\n" + f"{paragraph}\n" * 8
    document = read_document(write(tmp_path, "keeper.md", text))
    assert document.format == "text"
    assert (document.episodes[0].meta.number, str(document.episodes[0].meta.published)) == (12, "2021-03-15")


def test_an_article_is_still_refused(tmp_path: Path) -> None:
    text = "# Status\n\nA tracker.\n\n- [x] 440 — title updated\n- [ ] 443 — blocked: no writes\n- [x] 447 — done\n"
    with pytest.raises(ParseError, match="no timestamps"):
        read_document(write(tmp_path, "status.md", text))


def test_a_name_line_over_a_stamp_line_with_front_matter_facts(tmp_path: Path) -> None:
    (episode,) = read_document(write(tmp_path, "keeper.md", name_line_stamp_line_md())).episodes
    assert (episode.meta.title, str(episode.meta.published)) == ("The Keeper's Ledger", "2021-03-15")
    assert [(s.start, s.speaker) for s in episode.segments] == [(12, "Ana Ruiz"), (19, "Ben Okafor"), (27, "Ana Ruiz")]


def test_times_that_are_not_times_leave_the_words_untimed(tmp_path: Path) -> None:
    ttml = '<tt><body><p begin="NaN">gulls</p><p begin="-3s">on the</p><p begin="inf">railing</p></body></tt>'
    (episode,) = read_document(write(tmp_path, "x.ttml", ttml)).episodes
    assert [s.start for s in episode.segments] == [None]
    turns = [{"text": "gulls"}, {"start": "soon", "text": "on the"}, {"start": -1, "text": "railing"}]
    (episode,) = read_document(write(tmp_path, "x.json", json.dumps(turns))).episodes
    assert [s.start for s in episode.segments] == [None]
