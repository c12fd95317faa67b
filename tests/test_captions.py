from pathlib import Path

from bot.ingest.captions import parse_ass, parse_caption_dump, scan_cues
from bot.ingest.lines import parse_lines
from bot.ingest.parse import parse_document
from bot.ingest.segmenter import build_segments

SRT = """1
00:13:00,760 --> 00:13:01,800
ADAM CHLIPALA: Hello,
I'm Adam.

2
00:13:01,800 --> 00:13:03,840


3
00:13:03,840 --> 00:13:05,000
Program chair of the conference.
"""


def test_srt_cues_keep_times_and_capitalised_speakers() -> None:
    scan = scan_cues(SRT)
    assert [u.text for u in scan.utterances] == ["Hello, I'm Adam.", "Program chair of the conference."]
    assert scan.utterances[0].start == 780.76
    assert scan.utterances[0].speaker == "Adam Chlipala"


def test_webvtt_voice_tags_name_the_speaker_and_entities_are_decoded() -> None:
    vtt = "WEBVTT\n\n00:00.000 --> 00:02.760\n<v Sarah>Welcome to Q&amp;A, friends\n\n"
    (utterance,) = scan_cues(vtt).utterances
    assert utterance.speaker == "Sarah"
    assert utterance.text == "Welcome to Q&A, friends"


def test_webvtt_without_hours_and_with_turn_markers() -> None:
    vtt = "WEBVTT\n\n01:02.500 --> 01:04.000\n>> Hello, everyone.\n\n\n1:01:02.000 --> 1:01:03.000\nLater on.\n"
    first, second = scan_cues(vtt).utterances
    assert (first.start, first.new_turn, first.text) == (62.5, True, "Hello, everyone.")
    assert second.start == 3662.0


def test_rolling_captions_are_merged_without_repeated_words() -> None:
    vtt = "WEBVTT\n\n" + "".join(
        f"00:00:{i:02}.000 --> 00:00:{i + 1:02}.000\n{text}\n\n"
        for i, text in enumerate(
            [
                "so the first thing",
                "so the first thing we did was",
                "we did was measure the",
                "measure the latency of every",
                "latency of every request.",
                "Then we fixed it.",
            ]
        )
    )
    segments = build_segments(scan_cues(vtt).utterances, captions=True)
    text = " ".join(s.text for s in segments)
    assert text == "so the first thing we did was measure the latency of every request. Then we fixed it."


def test_a_quote_spanning_two_cues_lands_in_one_segment() -> None:
    srt = (
        "1\n00:00:01,000 --> 00:00:03,000\nfix the bugs before\n\n"
        "2\n00:00:03,000 --> 00:00:05,000\nthe users find them.\n"
    )
    segments = build_segments(scan_cues(srt).utterances, captions=True)
    assert segments[0].text == "fix the bugs before the users find them."
    assert (segments[0].start, segments[0].end) == (1.0, 5.0)


def test_zero_length_and_overlapping_cues_are_kept_in_order() -> None:
    vtt = (
        "WEBVTT\n\n00:00:05.000 --> 00:00:05.000\nZero length cue here.\n\n"
        "00:00:04.000 --> 00:00:09.000\nStarts before the last one ended.\n"
    )
    scan = scan_cues(vtt)
    assert [u.start for u in scan.utterances] == [5.0, 4.0]
    assert scan.utterances[0].end == 5.0


def test_sbv_cues_are_read() -> None:
    sbv = "0:00:00.378,0:00:11.378\nCaption text one\n\n0:00:11.378,0:00:12.305\nCaption text two\n"
    assert [u.text for u in scan_cues(sbv).utterances] == ["Caption text one", "Caption text two"]


def test_ass_dialogue_events_are_read_with_speakers_and_line_breaks() -> None:
    ass = (
        "[Script Info]\nTitle: x\n\n[Events]\nFormat: Layer, Start, End, Style, Actor, MarginL, MarginR, MarginV,"
        " Effect, Text\nDialogue: 0,0:00:54.40,0:00:59.40,Default,,0,0,0,,\n"
        "Dialogue: 0,0:13:00.76,0:13:01.80,Default,,0,0,0,,ADAM CHLIPALA: Hello,\\NI'm Adam, with, commas\n"
    )
    (utterance,) = parse_ass(ass).utterances
    assert utterance.text == "Hello, I'm Adam, with, commas"
    assert utterance.speaker == "Adam Chlipala"


def test_stamped_lines_take_the_next_line_as_their_end() -> None:
    text = "00:00:00 Hello and welcome.\n\n00:00:08 <v Michael Kennedy>This is the show.\n"
    first, second = parse_lines(text)
    assert (first.start, first.end) == (0.0, 8.0)
    assert second.speaker == "Michael Kennedy"


def test_caption_dump_drops_the_alternating_speaker_labels() -> None:
    dump = "0:00:00\nSpeaker 0 :the following is a conversation with\n Jeremy\n\n0:00:06\nSpeaker 1 :making it\n"
    document = parse_document(dump * 3, Path("dump.txt"))
    (episode,) = document.episodes
    assert document.format == "caption-dump"
    assert not episode.real_speakers
    assert "Speaker" not in " ".join(s.text for s in episode.segments)
    assert parse_caption_dump(dump)[0].text == "the following is a conversation with Jeremy"


def test_youtube_export_header_gives_title_date_url_and_show() -> None:
    export = (
        "Title: Great Conf 2021: Ana Lopes – Shipping fast\nPublication date: 2021-06-19\n"
        "Playlist: Great Conf 2021 #gc\nDescription: \n\tA talk.\nCaptions: \n"
        "\t00:00:06,290 --> 00:00:11,320\nthank you so much good morning\n\n"
        "00:00:09,760 --> 00:00:12,820\nit's an honor to be here\n\nYouTube URL: https://www.youtube.com/watch?v=abc123\n"
    )
    document = parse_document(export, Path("004_deadbeefcafe1234.txt"))
    meta = document.episodes[0].meta
    assert (meta.title, str(meta.published), meta.show) == (
        "Great Conf 2021: Ana Lopes – Shipping fast",
        "2021-06-19",
        "Great Conf 2021",
    )
    assert meta.url == "https://www.youtube.com/watch?v=abc123"
    assert meta.number is None
    assert all(s.speaker is None for s in document.episodes[0].segments)
