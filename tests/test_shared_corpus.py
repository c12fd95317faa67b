"""The real material in ../shared: every seed, every corpus format, every nasty file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.ingest.indexer import read_document
from bot.ingest.model import ParseError
from tests.conftest import REPO, SHARED, needs_shared

pytestmark = needs_shared

SEED_FORMATS = {
    "000": "timestamped-text",
    "001": "directory-page",
    "002": "caption-dump",
    "003": "dialogue",
    "004": "srt",
}


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Index seeds and corpus in one CLI run, as an operator would."""
    db = tmp_path_factory.mktemp("catalogue") / "rewind.db"
    command = [
        sys.executable,
        "-m",
        "bot",
        "index",
        str(SHARED / "seeds"),
        str(SHARED / "corpus"),
        "--db",
        str(db),
        "--json",
    ]
    indexed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    listed = subprocess.run(
        [sys.executable, "-m", "bot", "episodes", "--db", str(db), "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return {"index": indexed, "report": json.loads(indexed.stdout), "episodes": json.loads(listed.stdout)}


@pytest.mark.parametrize(("prefix", "expected"), sorted(SEED_FORMATS.items()))
def test_each_seed_is_read_in_its_format(prefix: str, expected: str) -> None:
    (path,) = (SHARED / "seeds").glob(f"{prefix}_*")
    document = read_document(path)
    assert document.format == expected
    assert sum(len(e.segments) for e in document.episodes) > 50 or expected == "directory-page"


def test_whole_corpus_indexes_with_counts_and_reasoned_rejects(catalogue: dict) -> None:
    assert catalogue["index"].returncode == 0, catalogue["index"].stderr
    report = catalogue["report"]
    assert report["indexed"] >= 250
    assert report["twins"] >= 50
    assert all(r["reason"] for r in report["rejected"])
    rejected = {Path(r["path"]).name for r in report["rejected"]}
    assert "_index.md" in rejected
    assert not any(name.endswith((".ass", ".xml")) for name in rejected)


def by_source(catalogue: dict, fragment: str) -> list[dict]:
    return [e for e in catalogue["episodes"] if fragment in e["source"]]


def test_directory_page_yields_93_dated_episodes(catalogue: dict) -> None:
    episodes = by_source(catalogue, "seeds/001_")
    assert len(episodes) == 93
    assert all(e["published"] for e in episodes)
    ep90 = next(e for e in episodes if e["number"] == 90)
    assert ep90["published"] == "2019-12-11"
    assert ep90["show"] == "Data Science at Home"


def test_talk_python_288_is_dated_from_the_feed(catalogue: dict) -> None:
    (episode,) = [e for e in by_source(catalogue, "talkpython/transcripts/") if e["number"] == 288]
    assert episode["published"] == "2020-10-31"
    assert episode["title"] == "10 tips to move from Excel to Python"
    assert episode["show"] == "Talk Python To Me"
    assert episode["url"].endswith(".mp3")
    # the feed item is the same episode, not a second one
    assert len([e for e in catalogue["episodes"] if e["number"] == 288 and e["show"] == "Talk Python To Me"]) == 1


def test_talk_python_txt_and_vtt_pairs_are_one_episode_each(catalogue: dict) -> None:
    assert len(by_source(catalogue, "talkpython/transcripts/")) == 50


def test_bitcoin_transcripts_are_dated_from_front_matter(catalogue: dict) -> None:
    episodes = by_source(catalogue, "bitcointranscripts/")
    assert len(episodes) == 78
    assert all(e["published"] for e in episodes)


def test_berlin_buzzwords_talk_has_title_date_link_and_duration(catalogue: dict) -> None:
    (episode,) = by_source(catalogue, "seeds/004_")
    assert episode["title"].startswith("Berlin Buzzwords 2019: William Benton")
    assert episode["published"] == "2019-06-19"
    assert episode["url"] == "https://www.youtube.com/watch?v=A6M9TsznUjg"
    assert 2100 < episode["duration_seconds"] < 2200


def test_seed_speakers_are_real_only_where_labels_are_real(catalogue: dict) -> None:
    assert by_source(catalogue, "seeds/002_")[0]["speakers"] == []
    assert by_source(catalogue, "seeds/003_")[0]["speakers"] == ["Hadelin", "Kirill"]


def test_talk_python_91_is_numbered_and_dated_from_its_intro(catalogue: dict) -> None:
    (episode,) = by_source(catalogue, "seeds/000_")
    assert (episode["number"], episode["published"], episode["show"]) == (91, "2016-11-18", "Talk Python To Me")


def test_german_feed_gives_276_dated_episodes(catalogue: dict) -> None:
    episodes = [e for e in catalogue["episodes"] if e["show"] == "Engineering Kiosk"]
    assert len(episodes) == 276
    assert all(e["published"] for e in episodes)
    # the show notes of #133 and #250 in formats/ are those feed items, joined, not two more episodes
    joined = {e["number"] for e in episodes if "engineeringkiosk-rss/" not in e["source"]}
    assert joined == {133, 250}


@pytest.mark.parametrize(
    "path", sorted((SHARED / "corpus" / "nasty").rglob("*")) if SHARED.is_dir() else [], ids=lambda p: p.name
)
def test_every_nasty_file_parses_or_is_rejected_with_a_reason(path: Path) -> None:
    if path.is_dir():
        return
    try:
        document = read_document(path)
    except ParseError as error:
        assert str(error)
        return
    text = " ".join(s.text for e in document.episodes for s in e.segments)
    assert text.strip()
    assert "\ufffd" not in text or path.name == "invalid.srt"
    assert "-->" not in text


def test_bom_and_legacy_encodings_read_the_same_words() -> None:
    folder = SHARED / "corpus" / "nasty" / "pysrt"
    texts = {}
    for name in ("bom-utf-8.srt", "bom-utf-16-le.srt", "bom-utf-16-be.srt", "bom-utf-32-le.srt", "bom-utf-32-be.srt"):
        document = read_document(folder / name)
        texts[name] = [s.text for s in document.episodes[0].segments]
    assert len({tuple(t) for t in texts.values()}) == 1
    french = read_document(folder / "windows-1252.srt")
    assert "é" in " ".join(s.text for s in french.episodes[0].segments)


FORMATS = SHARED / "corpus" / "formats"
LENNY = {"show": "Lenny's Podcast"}
# file: (format, timed, real speakers, facts a reader finds in the file)
FORMAT_FILES = {
    "assemblyai-json/engineeringkiosk-133-transcript-slim.orig.json": ("json", True, set(), {"number": 133}),
    "assemblyai-json/engineeringkiosk-250-transcript-slim.json": ("json", True, set(), {"number": 250}),
    "bracket-time-name-colon/lennys-ryan-hoover-transcript.md": (
        "timestamped-text",
        True,
        {"Ashley", "Lenny", "Ryan"},
        LENNY,
    ),
    "cloud-asr-json/bbc-rte-amazon-transcribe-todayinfocus.sample.json": ("json", True, set(), {}),
    "cloud-asr-json/bbc-rte-speechmatics-KateDarling.sample.json": ("json", True, set(), {}),
    "frontmatter-untimed-md/conduit-111-human-how-you-doin.md": (
        "text",
        False,
        set(),
        {"number": 111, "title": "Human: How you doin?", "published": "2025-09-25", "show": "Conduit"},
    ),
    "frontmatter-untimed-md/conduit-6-getting-back-into-the-swing-of-things.md": (
        "text",
        False,
        set(),
        {"number": 6, "published": "2021-09-23"},
    ),
    "otter-prefixed-txt/pythonbytes-220.txt": (
        "dialogue",
        True,
        {"Brian Okken", "Michael Kennedy"},
        {"number": 220, "published": "2021-02-10"},
    ),
    "otter-prefixed-txt/pythonbytes-310-calling-all-tools-for-readmes.txt": (
        "dialogue",
        True,
        {"Brian Okken", "Michael Kennedy"},
        {"number": 310, "published": "2022-11-15", "title": "Calling All Tools For Readmes"},
    ),
    "rev-name-paren-time/lennys-dylan-field-transcript.md": (
        "markdown-dialogue",
        True,
        {"Dylan Field", "Lenny Rachitsky", "Rick Rubin"},
        LENNY,
    ),
    "rev-name-paren-time/lennys-seth-godin-transcript.md": (
        "markdown-dialogue",
        True,
        {"Lenny Rachitsky", "Seth Godin"},
        LENNY,
    ),
    "sentence-tsv-plus-json/sps-a95KMDHf4vQ.eng.tsv": ("tsv", False, set(), {}),
    "show-notes-md/engineeringkiosk-133-die-wichtige-rolle-von-1on1s-in-zeiten-der-arbeiterlosigkeit.md": (
        "show-notes",
        False,
        set(),
        {"number": 133, "published": "2024-07-23", "chapters": 11},
    ),
    "show-notes-md/engineeringkiosk-250-tech-leadership-skalieren-was-ein-cto-wirklich-tun-muss-mit-philipp-"
    "deutscher.md": (
        "show-notes",
        False,
        set(),
        {"number": 250, "published": "2026-01-13", "chapters": 10},
    ),
    "speaker-turns-json/fairfax-council-apr-14-2026_turns.json": (
        "json",
        True,
        {"City Manager David Coll", "Councilwoman Janet Oleszek", "Councilwoman Stacy Hall", "Mayor Catherine Read"},
        {"published": "2026-04-14"},
    ),
    "transcriber-trs/transcriberag-frint980428.trs": (
        "trs",
        True,
        {"Patricia Martin", "Simon Tivolle"},
        {"show": "France Inter", "published": "1998-04-28", "chapters": 1},
    ),
    "whisper-json/fairfax-council-apr-07-2026_seg018.json": ("json", True, set(), {"published": "2026-04-07"}),
    "whisper-json/roaming-holiday-179.transcription__base.json": ("json", True, set(), {"number": 179}),
    "whisperx-json/sps-a95KMDHf4vQ.en.json.xz": ("json", True, set(), {}),
}


@pytest.mark.parametrize("name", sorted(FORMAT_FILES))
def test_each_real_transcript_shape_indexes_with_times_speakers_and_facts(name: str) -> None:
    expected_format, timed, speakers, facts = FORMAT_FILES[name]
    document = read_document(FORMATS / name)
    (episode,) = document.episodes
    assert document.format == expected_format
    assert all(s.start is not None for s in episode.segments) == timed
    assert {s.speaker for s in episode.segments if s.speaker} == speakers
    found = {
        "number": episode.meta.number,
        "title": episode.meta.title,
        "show": episode.meta.show,
        "published": str(episode.meta.published),
        "chapters": len(episode.chapters),
    }
    assert {key: found[key] for key in facts} == facts
    assert not any(mark in s.text for s in episode.segments for mark in ("**", "&amp;", "&#", "</"))


def test_every_formats_file_is_read_or_refused_with_what_was_looked_for() -> None:
    files = {str(p.relative_to(FORMATS)) for p in FORMATS.rglob("*") if p.is_file() and p.name != "MANIFEST.md"}
    untested = files - set(FORMAT_FILES) - {"sentence-tsv-plus-json/sps-a95KMDHf4vQ.diarized.json"}
    assert all(read_document(FORMATS / name).format == "rss" for name in untested)
    with pytest.raises(ParseError, match="looked for a list of objects with a time field"):
        read_document(FORMATS / "sentence-tsv-plus-json" / "sps-a95KMDHf4vQ.diarized.json")
