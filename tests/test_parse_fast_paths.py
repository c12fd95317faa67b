"""The parsers' fast paths give what the general rules they skip would give."""

import re

from hypothesis import given
from hypothesis import strategies as st

from bot.ingest.captions import parse_tsv
from bot.ingest.headings import timed_headings
from bot.ingest.lines import scan_lines
from bot.ingest.segmenter import _ends_sentence
from bot.ingest.shownotes import topic_lines
from bot.ingest.text import fold_spaces, parse_timestamp, word_count

SPACES = st.sampled_from([" ", "  ", "\t", "\n", "\r", "\x0b", "\x1c", "\xa0", "\u2003", "\u3000", "\u200b"])
WORDS = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=6)
SPACED = st.lists(st.one_of(WORDS, SPACES), max_size=12).map("".join)
STAMP_CHARS = st.sampled_from(list("0123456789:.,٣٥۹５ -x"))


@given(SPACED)
def test_fold_spaces_is_the_white_space_regex(text):
    assert fold_spaces(text) == re.sub(r"\s+", " ", text).strip()


@given(SPACED)
def test_word_count_is_the_length_of_the_split(text):
    assert word_count(text) == len(text.split())


@given(st.lists(STAMP_CHARS, min_size=12, max_size=12).map("".join))
def test_a_sliced_caption_stamp_reads_as_the_regex_does(value):
    full = re.fullmatch(r"(\d{1,3}):([0-5]\d):([0-5]\d)[.,](\d{3})", value)
    if full:
        hours, minutes, seconds, millis = full.groups()
        assert parse_timestamp(value) == int(hours) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000


@given(st.lists(STAMP_CHARS, min_size=8, max_size=8).map("".join))
def test_a_sliced_clock_reads_as_the_regex_does(value):
    clock = re.fullmatch(r"([0-9]{1,4}):([0-9]{1,2}):([0-9]{1,2})", value)
    if clock:
        hours, minutes, seconds = clock.groups()
        assert parse_timestamp(value) == float(int(hours) * 3600 + int(minutes) * 60 + int(seconds))


def test_caption_stamps_in_seconds():
    assert parse_timestamp("01:02:03.456") == 3723.456
    assert parse_timestamp("00:00:09,100") == 9.1
    assert parse_timestamp("٠١:02:03.45٦") == 3723.456  # Arabic-Indic digits where `\d` reads them
    assert parse_timestamp("00:٠٢:03.456") is None  # but a minute's tens are 0-5
    assert parse_timestamp("01:02:03") == 3723.0
    assert parse_timestamp("٠١:02:03") is None  # a transcript's clock is ASCII


@given(st.text(alphabet=st.sampled_from(list("ab .!?…\"”')]\n")), max_size=10))
def test_a_sentence_end_is_the_regex_one(text):
    assert _ends_sentence(text) == bool(re.search(r"[.!?…][\"”')\]]*$", text))


def test_topic_lines_read_from_the_scan_are_those_read_anew():
    body = "\n".join(
        [
            "00:00 Welcome and intro",
            "",
            "[00:45] Ana: the first real line of talk",
            "- 02:18 - The history of the thing",
            "(00:03:20) A topic in brackets",
            "05:00",
            "A title on the line below its stamp",
            "* **[07:10](#t=07:10)** Linked topic",
            "10:00  Spaced   out  topic",
            "Bob: no stamp here",
        ]
    )
    scan = scan_lines(body)
    assert topic_lines(body, scan.read) == topic_lines(body)
    assert (120 + 18.0, "The history of the thing") in topic_lines(body, scan.read)


def test_a_topic_title_is_at_most_fifteen_words_however_it_is_spaced():
    fifteen = " ".join(f"w{i}" for i in range(15))
    sixteen = "\t".join(f"w{i}" for i in range(16))
    body = f"00:10 {fifteen}\n01:10  {sixteen}\n02:10 a\u00a0 short\t topic"
    assert topic_lines(body) == [(10.0, fifteen), (130.0, "a short topic")]


def test_a_timed_line_ends_where_the_next_later_stamp_starts():
    text = "[00:00:01] one two\n[00:00:01] three four\n[00:00:05] five six\n[00:00:04] back\n[00:00:09] the last line"
    spans = [(u.start, u.end) for u in scan_lines(text).utterances]
    assert spans == [(1.0, 5.0), (1.0, 5.0), (5.0, None), (4.0, 9.0), (9.0, None)]


def test_a_timestamp_read_again_is_the_same_number():
    assert [parse_timestamp("00:01:02") for _ in range(2)] == [62.0, 62.0]
    assert parse_timestamp("1:02:03,5") == 3723.5
    assert parse_timestamp("soon") is None


def test_headings_and_tables_are_found_past_the_first_lines():
    prose = [f"line {i} of prose" for i in range(300)]
    assert timed_headings("\n".join([*prose, "## Intro", "Ana: 00:01:00 hi", "## Later", "Bo: 00:05:00 yes"])) == (
        (60.0, "Intro"),
        (300.0, "Later"),
    )
    table = ["start\tend\ttext", *[f"{i * 1000}\t{i * 1000 + 900}\tline {i}" for i in range(250)]]
    rows = parse_tsv(table)
    assert rows is not None and len(rows) == 250 and rows[-1].text == "line 249"
