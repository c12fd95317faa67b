"""Hostile input: nothing outside the configured folders is read, one bad file never stops a run,
and every value a file holds enters the index checked into its range."""

import json
import math
import os
import socket
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.ingest import indexer
from bot.ingest.indexer import index_paths
from bot.ingest.model import ParseError
from bot.ingest.values import (
    MAX_INT,
    checked_int,
    checked_seconds,
    checked_span,
    checked_url,
    load_json,
    load_yaml,
    printable,
)
from bot.search.links import deep_link
from models.search import SegmentFilter, TermQuery
from storage import Store
from tests.conftest import write

SRT = "1\n00:00:01,000 --> 00:00:03,000\nWe shipped the {word} release on Friday.\n\n"
GOOD = "good-1-launch.srt"


def reasons(report: indexer.IndexReport) -> dict[str, str]:
    return {Path(r.path).name: r.reason for r in report.rejects}


def warnings(report: indexer.IndexReport) -> str:
    return " | ".join(w.reason for w in report.warnings)


async def searchable(store: Store, word: str) -> bool:
    return bool(await store.candidates(TermQuery(((word,),)), SegmentFilter(), 5))


# --- nothing outside the configured folders is read ------------------------------------------------


async def test_a_symlink_to_a_file_outside_is_reported_and_never_read(store: Store, tmp_path: Path) -> None:
    secret = write(tmp_path / "private", "secret.srt", SRT.format(word="password"))
    folder = tmp_path / "show"
    write(folder, GOOD, SRT.format(word="first"))
    (folder / "leak.srt").symlink_to(secret)
    report = await index_paths(store, [folder])
    assert "outside the configured folders" in reasons(report)["leak.srt"]
    assert not await searchable(store, "password")
    assert await searchable(store, "first")


async def test_a_symlink_inside_a_configured_folder_is_followed(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "show"
    write(folder / "real", "ep-2-inside.srt", SRT.format(word="inside"))
    (folder / "alias.srt").symlink_to(folder / "real" / "ep-2-inside.srt")
    report = await index_paths(store, [folder])
    assert report.rejects == []
    assert await searchable(store, "inside")
    assert len(await store.list_episodes()) == 1  # the link and its target are one file


async def test_links_to_outside_folders_and_link_cycles_are_reported_not_followed(store: Store, tmp_path: Path) -> None:
    write(tmp_path / "elsewhere", "ep-9-away.srt", SRT.format(word="away"))
    folder = tmp_path / "show"
    write(folder, GOOD, SRT.format(word="first"))
    (folder / "outside").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (folder / "again").symlink_to(folder, target_is_directory=True)  # a cycle: never walked twice
    (folder / "a.srt").symlink_to(folder / "b.srt")
    (folder / "b.srt").symlink_to(folder / "a.srt")
    report = await index_paths(store, [folder])
    found = reasons(report)
    assert "outside the configured folders" in found["outside"]
    assert "again" not in found
    assert "loop" in found["a.srt"] and "loop" in found["b.srt"]
    assert not await searchable(store, "away")
    assert report.indexed == 1


async def test_a_sidecar_linked_from_outside_is_not_read(store: Store, tmp_path: Path) -> None:
    outside = write(tmp_path / "private", "notes.yaml", "title: Stolen title\n")
    folder = tmp_path / "show"
    write(folder, "ep-1-launch.srt", SRT.format(word="first"))
    (folder / "ep-1-launch.meta.yaml").symlink_to(outside)
    report = await index_paths(store, [folder])
    assert "outside" in reasons(report)["ep-1-launch.meta.yaml"]
    (episode,) = await store.list_episodes()
    assert episode.title != "Stolen title"


async def test_a_fifo_and_a_socket_are_rejected_without_blocking(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "show"
    write(folder, GOOD, SRT.format(word="first"))
    os.mkfifo(folder / "pipe.srt")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(folder / "sock.vtt"))
    try:
        report = await index_paths(store, [folder])
    finally:
        server.close()
    found = reasons(report)
    assert "not a regular file (a FIFO)" in found["pipe.srt"]
    assert "not a regular file (a socket)" in found["sock.vtt"]
    assert await searchable(store, "first")


async def test_hostile_file_names_are_escaped_in_the_report_and_handled(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "show"
    write(folder, GOOD, SRT.format(word="first"))
    write(folder, "evil\x1b[31mred\nINFO forged.txt", "no transcript here at all")
    write(folder, os.fsdecode(b"caf\xe9-3.srt"), SRT.format(word="latin"))  # a Latin-1 name, not UTF-8
    long_name = "x" * 251 + ".srt"  # 255 bytes: its sidecar names would be longer than a name may be
    write(folder, long_name, SRT.format(word="longname"))
    report = await index_paths(store, [folder])
    shown = {r.path: r.reason for r in report.rejects}
    assert all(path.isprintable() and reason.isprintable() for path, reason in shown.items())
    assert any("\\x1b[31mred\\nINFO" in path for path in shown)
    assert any(path.endswith("caf\\udce9-3.srt") and "UTF-8" in reason for path, reason in shown.items())
    assert await searchable(store, "longname")
    assert await searchable(store, "first")


# --- one file never aborts a run ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("sidecar", "problem"),
    [
        ("published: 2020-02-30\n", "published"),
        ("number: " + "9" * 5000 + "\n", "number"),
        ("number: 99999999999999999999\n", "number"),
        ("number: '²'\n", "number"),
        ("duration: 1e400\n", "duration"),
        ("url: javascript:alert(1)\n", "url"),
        ("url: see the show notes\n", "url"),
    ],
)
async def test_a_bad_sidecar_value_is_reported_and_the_transcript_indexed(
    store: Store, tmp_path: Path, sidecar: str, problem: str
) -> None:
    folder = tmp_path / "show"
    write(folder, "ep-4-launch.srt", SRT.format(word="first"))
    write(folder, "ep-4-launch.meta.yaml", "title: Kept title\n" + sidecar)
    report = await index_paths(store, [folder])
    assert report.indexed == 1 and report.rejects == []
    assert f"{problem} " in warnings(report) and "ignored" in warnings(report)
    (episode,) = await store.list_episodes()
    assert episode.title == "Kept title"
    assert episode.number in (4, None) and episode.url is None


async def test_an_alias_bomb_sidecar_is_ignored_and_reported(store: Store, tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(20)
    )
    folder = tmp_path / "show"
    write(folder, "ep-1-launch.srt", SRT.format(word="first"))
    write(folder, "rewind.meta.yaml", bomb)
    report = await index_paths(store, [folder])
    assert "alias" in warnings(report) and "ignored" in warnings(report)
    assert await searchable(store, "first")


async def test_json_nested_deeply_is_refused_in_every_json_file(store: Store, tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    folder = tmp_path / "show"
    write(folder, "ep-1-launch.srt", SRT.format(word="first"))
    write(folder, "ep-1-launch.chapters.json", '{"chapters": ' + deep + "}")
    write(folder, "ep-1-launch.meta.json", '{"title": ' + deep + "}")
    write(folder, "deep.json", deep)
    report = await index_paths(store, [folder])
    assert "nested deeper" in reasons(report)["deep.json"]
    assert "chapters file ep-1-launch.chapters.json unreadable" in warnings(report)
    assert "sidecar ep-1-launch.meta.json ignored" in warnings(report)
    assert await searchable(store, "first")


async def test_nan_infinite_and_absurd_times_never_reach_the_database(store: Store, tmp_path: Path) -> None:
    segments = [
        {"startTime": float("nan"), "endTime": 2, "body": "Not a number starts here."},
        {"startTime": float("inf"), "endTime": float("inf"), "body": "Forever is a long time."},
        {"startTime": -5, "endTime": 3, "body": "Before the start of time."},
        {"startTime": 7, "endTime": 4, "body": "Ends before it begins."},
    ]
    folder = tmp_path / "show"
    write(folder, "ep-1-times.json", json.dumps({"segments": segments}))  # Python writes NaN and Infinity
    write(
        folder,
        "ep-2-hours.srt",
        "1\n" + "9" * 400 + ":00:01,000 --> 00:00:03,000\nA huge hour.\n\n" + SRT.format(word="second"),
    )
    report = await index_paths(store, [folder])
    assert report.rejects == []
    rows = await store._db.execute_fetchall("SELECT start_seconds, end_seconds FROM segments")
    values = [v for row in rows for v in row if v is not None]
    assert values and all(math.isfinite(v) and v >= 0 for v in values)
    assert all(end >= start for start, end in rows if start is not None and end is not None)
    json.dumps([e.as_json() for e in await store.list_episodes()], allow_nan=False)
    assert await searchable(store, "second")


async def test_a_parser_crash_costs_one_file_not_the_run(store: Store, tmp_path: Path, monkeypatch) -> None:
    real = indexer.parse_document

    def fragile(text: str, path: Path):
        if "boom" in path.name:
            raise KeyError("a parser bug")
        return real(text, path)

    monkeypatch.setattr(indexer, "parse_document", fragile)
    folder = tmp_path / "show"
    write(folder, "boom-2.srt", SRT.format(word="boom"))
    write(folder, GOOD, SRT.format(word="first"))
    report = await index_paths(store, [folder])
    assert "KeyError" in reasons(report)["boom-2.srt"]
    assert await searchable(store, "first")


async def test_an_episode_number_past_64_bits_never_breaks_a_later_run(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "show"
    write(folder, "big.srt", "---\nepisode: 99999999999999999999\ntitle: Big\n---\n" + SRT.format(word="big"))
    write(folder, GOOD, SRT.format(word="first"))
    first = await index_paths(store, [folder])
    second = await index_paths(store, [folder])
    assert first.rejects == [] and second.unchanged == 2
    assert all(e.number is None or e.number <= MAX_INT for e in await store.list_episodes())


# --- properties of the value-entry helpers ----------------------------------------------------------


@given(st.one_of(st.text(max_size=30), st.integers(), st.floats(), st.none(), st.booleans()))
def test_checked_int_is_an_ascii_number_within_64_bits(value: object) -> None:
    number = checked_int(value)
    assert number is None or (isinstance(number, int) and 0 <= number <= MAX_INT)
    if isinstance(value, str) and number is not None:
        assert value.strip().isascii()


@given(st.one_of(st.floats(), st.integers(), st.text(max_size=5)), st.one_of(st.floats(), st.integers()))
def test_checked_times_are_finite_non_negative_and_ordered(start: object, end: object) -> None:
    first, last = checked_span(start, end)
    for value in (first, last):
        assert value is None or (math.isfinite(value) and value >= 0)
    if first is not None and last is not None:
        assert last >= first
    assert checked_seconds(float("nan")) is None


@given(st.text(max_size=60))
def test_caption_timestamps_parse_to_a_time_or_none(text: str) -> None:
    from bot.ingest.text import parse_timestamp

    value = parse_timestamp(text)
    assert value is None or math.isfinite(value)


@given(st.text(max_size=80))
def test_only_http_links_pass(text: str) -> None:
    url = checked_url(text)
    assert url is None or url.lower().startswith(("http://", "https://"))
    assert deep_link(text, 5.0) is None or deep_link(text, 5.0).lower().startswith(("http://", "https://"))


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,x",
        "vbscript:x",
        "file:///etc/passwd",
        "see the show notes",
        "http://[::1",
    ],
)
def test_links_that_are_not_http_are_refused(url: str) -> None:
    assert checked_url(url) is None
    assert deep_link(url, 10.0) is None


@given(st.text())
def test_printable_names_carry_no_controls(text: str) -> None:
    shown = printable(text)
    assert shown.isprintable()
    assert printable(shown) == shown


@given(st.integers(min_value=1, max_value=3000))
def test_json_depth_is_bounded_without_recursion_errors(depth: int) -> None:
    try:
        load_json("[" * depth + "]" * depth)
    except ParseError as error:
        assert "nested deeper" in str(error)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=60)
@given(st.dictionaries(st.sampled_from(["number", "published", "duration", "url", "title"]), st.text(max_size=20)))
def test_sidecar_values_never_raise(values: dict[str, str]) -> None:
    import yaml

    text = yaml.safe_dump(values)
    data = load_yaml(text)
    assert isinstance(data, dict | type(None))
    metadata, _ = indexer._sidecar_metadata(data or {})
    assert metadata.number is None or 0 <= metadata.number <= MAX_INT
    assert metadata.url is None or metadata.url.startswith(("http://", "https://"))


async def test_a_feed_is_capped_in_items_and_says_what_was_cut(store: Store, tmp_path: Path, monkeypatch) -> None:
    from bot.ingest import listings

    monkeypatch.setattr(listings, "MOST_FEED_ITEMS", 3)
    items = "".join(
        f"<item><title>Episode {n}</title><guid>item-{n}</guid><description>Notes {n}.</description></item>"
        for n in range(1, 8)
    )
    write(
        tmp_path / "show",
        "feed.xml",
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Cast</title>{items}</channel></rss>',
    )
    report = await index_paths(store, [tmp_path / "show"])
    assert len(await store.list_episodes()) == 3
    assert "4 feed items past the first 3 not indexed" in warnings(report)
