"""Choosing what came out on this day: fixed dates, leap days, reruns, fallbacks; the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.onthisday import choose, is_rebroadcast, parse_day, standalone
from bot.summary import Moment
from models.episodes import EpisodeRow
from tests.conftest import SAMPLE, SHARED, needs_shared


def episode(row_id: int, published: str | None, title: str | None = None, number: int | None = None) -> EpisodeRow:
    return EpisodeRow(row_id, "Show", number, title or f"Episode {row_id}", published, None, None, [], "x", "txt", 1)


def ids(rows) -> list[int]:
    return [row.id for row in rows]


def test_episodes_from_this_day_in_earlier_years_oldest_first() -> None:
    rows = [episode(1, "2019-12-11"), episode(2, "2016-12-11"), episode(3, "2019-12-12"), episode(4, "2026-12-11")]
    chosen = choose(rows, dt.date(2026, 12, 11))
    assert chosen.kind == "exact"
    assert ids(chosen.episodes) == [2, 1]  # not this year's own episode, not the next day


@pytest.mark.parametrize(("year", "expected"), [(2027, dt.date(2027, 2, 28)), (2028, dt.date(2028, 2, 29))])
def test_a_leap_day_episode_is_remembered_on_the_28th_in_other_years(year: int, expected: dt.date) -> None:
    rows = [episode(1, "2024-02-29")]
    assert ids(choose(rows, expected).episodes) == [1]
    assert choose(rows, dt.date(year, 3, 1), fallbacks=()).episodes == ()


def test_reruns_do_not_crowd_out_originals() -> None:
    rows = [
        episode(1, "2020-05-04", "[RB] The best bugs"),
        episode(2, "2018-05-04", "The best bugs"),
        episode(3, "2019-05-04", "Deploying on Fridays (Rebroadcast)"),
        episode(4, "2021-05-04", "Replay: Caching"),
        episode(5, "2017-05-04", "Deploying on Fridays"),
        episode(6, "2022-05-04", "The best bugs"),  # the same title again
        episode(7, "2015-05-04", "[RB] Monitoring"),  # a rerun older than its original
        episode(8, "2016-05-04", "Monitoring"),
    ]
    chosen = choose(rows, dt.date(2026, 5, 4))
    assert ids(chosen.episodes) == [8, 5, 2, 4]  # originals oldest first; a rerun only where no original is here


@pytest.mark.parametrize("title", ["[RB] Title", "Title (Rebroadcast)", "Encore: Title", "Title [Replay]"])
def test_rerun_marks_are_recognised(title: str) -> None:
    assert is_rebroadcast(title)
    assert not is_rebroadcast("Broadcasting live from PyCon")


def test_nothing_on_the_day_falls_back_to_this_week_then_the_archive() -> None:
    rows = [episode(1, "2019-03-10"), episode(2, "2018-07-01"), episode(3, "2017-01-20")]
    assert (choose(rows, dt.date(2026, 3, 12)).kind, ids(choose(rows, dt.date(2026, 3, 12)).episodes)) == ("week", [1])
    archive = choose(rows, dt.date(2026, 9, 1))
    assert archive.kind == "archive" and len(archive.episodes) == 1
    assert all(choose(rows, dt.date(2026, 9, 1)).episodes == archive.episodes for _ in range(5))  # stable all day
    picks = {choose(rows, dt.date(2026, 9, 1) + dt.timedelta(days=d)).episodes[0].id for d in range(30)}
    assert len(picks) > 1  # but not the same pick every day


def test_fallbacks_can_be_turned_off_and_undated_episodes_are_ignored() -> None:
    rows = [episode(1, "2019-03-10"), episode(2, None), episode(3, "not a date")]
    assert choose(rows, dt.date(2026, 9, 1), fallbacks=()).kind == "none"
    assert choose(rows, dt.date(2026, 9, 1), fallbacks=("week",)).kind == "none"
    assert choose([episode(2, None)], dt.date(2026, 9, 1)).kind == "none"


def test_a_highlight_is_a_complete_sentence_or_marked_as_an_excerpt() -> None:
    fragment = Moment("and then the model drifts in production because nobody retrains it on", 5.0)
    sentence = Moment("The model drifts in production because nobody retrains it on fresh data.", 9.0)
    assert standalone([fragment, sentence]) == sentence
    assert standalone([fragment]).text.startswith("…") and standalone([fragment]).text.endswith("…")
    assert standalone([]) is None
    summarized = Moment("and then the model drifts in production because nobody…", 5.0)
    assert standalone([summarized]).text == "…and then the model drifts in production because nobody…"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12-11", dt.date(2026, 12, 11)), ("2019-06-19", dt.date(2019, 6, 19)), ("02-29", dt.date(2026, 2, 28))],
)
def test_dates_are_read_as_month_day_or_full(text: str, expected: dt.date) -> None:
    assert parse_day(text, dt.date(2026, 11, 23)) == expected


def test_a_bad_date_is_a_clear_error(capsys, tmp_path: Path) -> None:
    assert main(["onthisday", "--date", "13-45", "--db", str(tmp_path / "r.db")]) == 2
    assert "use MM-DD or YYYY-MM-DD" in capsys.readouterr().err


def test_cli_prints_the_post_as_json(tmp_path: Path, capsys) -> None:
    db = str(tmp_path / "r.db")
    main(["index", str(SAMPLE), "--db", db])
    capsys.readouterr()
    assert main(["onthisday", "--date", "2026-03-10", "--db", db, "--json"]) == 0
    post = json.loads(capsys.readouterr().out)
    assert (post["date"], post["kind"]) == ("2026-03-10", "exact")
    (entry,) = post["episodes"]
    assert {"episode_id", "title", "number", "published", "show", "summary", "highlight"} <= set(entry)
    assert (entry["title"], entry["published"], entry["number"]) == ("Property-based testing", "2021-03-10", 2)
    assert set(entry["highlight"]) == {"text", "start_seconds", "url"}
    assert main(["onthisday", "--date", "03-10", "--db", db]) == 0
    assert "On this day, March 10" in capsys.readouterr().out


@needs_shared
@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("12-11", [("Data Science at Home", 90, "2019-12-11")]),
        ("02-15", [("Data Science at Home", 7, "2016-02-15"), ("Data Science at Home", 8, "2016-02-15"),
                   ("Data Science at Home", 17, "2017-02-15")]),
        ("06-19", [("Berlin Buzzwords 2019", None, "2019-06-19")]),
    ],
)  # fmt: skip
def test_the_seeds_anniversaries(tmp_path: Path, capsys, day: str, expected: list) -> None:
    db = str(tmp_path / "r.db")
    main(["index", str(SHARED / "seeds"), "--db", db])
    capsys.readouterr()
    assert main(["onthisday", "--date", day, "--db", db, "--json"]) == 0
    post = json.loads(capsys.readouterr().out)
    assert post["kind"] == "exact"
    assert [(e["show"], e["number"], e["published"]) for e in post["episodes"]] == expected
    assert all(e["summary"] for e in post["episodes"])
