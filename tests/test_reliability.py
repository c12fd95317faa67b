"""Faults injected into real SQLite files and real folders: the bot keeps serving, nothing is lost."""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import io
import sqlite3
import zipfile
from pathlib import Path

import pytest

from bot import render
from bot.cli import main
from bot.ingest import indexer
from bot.ingest.indexer import index_paths
from bot.onthisday import DailyPost
from bot.reindex import Reindexer
from bot.schedule import DailyPoster, Sent
from bot.search.choices import Suggester
from bot.search.engine import Searcher
from bot.summary.service import Summaries
from models.errors import StoreError
from storage import Store
from tests.conftest import SAMPLE, write

SRT = "1\n00:00:01,000 --> 00:00:04,000\nThe {word} was stuck in the machine again today.\n"


def episodes_folder(folder: Path, count: int, lines: int = 60) -> Path:
    for number in range(1, count + 1):
        text = "".join(
            f"{i // 60:02}:{i % 60:02}:00 Speaker {number} explains topic{number} detail{i} in plain words.\n"
            for i in range(lines)
        )
        write(folder, f"cast-{number}.txt", text)
    return folder


def integrity(path: Path) -> tuple[str, int, int]:
    """quick_check, segments, and FTS rows matching every segment (the index in step with its content)."""
    with sqlite3.connect(path) as db:
        check = db.execute("PRAGMA quick_check").fetchone()[0]
        db.execute("INSERT INTO segments_fts(segments_fts, rank) VALUES ('integrity-check', 1)")  # vs content
        segments = db.execute("SELECT count(*) FROM segments").fetchone()[0]
        indexed = db.execute("SELECT count(*) FROM segments_fts_docsize").fetchone()[0]
    return check, segments, indexed


async def test_a_full_disk_is_a_clear_error_and_the_old_index_stays(store: Store, tmp_path: Path) -> None:
    await index_paths(store, [SAMPLE])
    before = await store.list_episodes()
    (pages,) = (await store._db.execute_fetchall("PRAGMA page_count"))[0]  # the edge: a size-limited file
    await store._db.execute(f"PRAGMA max_page_count = {pages + 3}")
    with pytest.raises(StoreError, match="no room left"):
        await index_paths(store, [SAMPLE, episodes_folder(tmp_path / "big", 40)])
    assert [e.title for e in await store.list_episodes()] == [e.title for e in before]
    (hit,) = await Searcher(store).search("fix the bugs before the users find them", limit=1)
    assert hit.title == "Shipping software"
    assert integrity(tmp_path / "rewind.db")[0] == "ok"


def test_a_damaged_database_is_named_at_start_up_and_rebuilt_on_request(tmp_path: Path, capsys) -> None:
    database = tmp_path / "rewind.db"
    assert main(["index", str(episodes_folder(tmp_path / "casts", 20)), "--db", str(database)]) == 0
    data = bytearray(database.read_bytes())
    page = 4096
    for offset in range(3 * page, len(data) - page, 2 * page):  # scribble over every other page
        data[offset + 100 : offset + 400] = b"\xde\xad\xbe\xef" * 75
    database.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="rewind rebuild"):
        asyncio.run(Store.open(database, check=True))
    capsys.readouterr()
    assert main(["rebuild", str(tmp_path / "casts"), "--db", str(database)]) == 0
    assert "The old database is kept as" in capsys.readouterr().err
    assert list(tmp_path.glob("rewind.db.damaged-*"))
    assert main(["search", "topic7 detail5", "--db", str(database), "--json"]) == 0
    assert "topic7 detail5" in capsys.readouterr().out
    assert integrity(database)[0] == "ok"


def test_the_bot_refuses_a_damaged_database_before_it_connects(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "rewind.db"
    database.write_bytes(b"not a database at all " * 500)
    monkeypatch.setenv("DISCORD_TOKEN", "MTAxMjM0NTY3ODkwMTIzNDU2Nzg5.GaBcDe.abcdefghijklmnopqrstuvwxyz0123")
    monkeypatch.setenv("REWIND_DB", str(database))
    assert main(["run"]) == 1  # no network needed: it stops before logging in
    err = capsys.readouterr().err
    assert "damaged or not a Rewind database" in err and "rewind rebuild" in err


def test_damage_found_mid_query_is_one_clear_line(tmp_path: Path, capsys) -> None:
    database = tmp_path / "rewind.db"
    main(["index", str(episodes_folder(tmp_path / "casts", 20)), "--db", str(database)])
    data = bytearray(database.read_bytes())
    data[5 * 4096 : 40 * 4096] = b"\x00\xff" * (35 * 2048)
    database.write_bytes(bytes(data))
    capsys.readouterr()
    code = main(["episodes", "--db", str(database)])
    err = capsys.readouterr().err
    assert code == 1 and "rewind rebuild" in err and "Traceback" not in err


async def test_hostile_files_are_rejected_and_the_run_goes_on(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "hostile"
    write(folder, "good.srt", SRT.format(word="lever"))
    with (folder / "one-line.vtt").open("wb") as huge:  # 200 MB in one line, sparse on disk
        huge.write(b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n")
        huge.seek(200 * 1024 * 1024)
        huge.write(b"word\n")
    write(folder, "bomb.vtt", gzip.compress(b"WEBVTT\n\n" + b"0" * 50_000_000))
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("inner.vtt", "WEBVTT\n\n" + "00:00:01.000 --> 00:00:02.000\nhi\n\n" * 200_000)
    write(folder, "zipped.vtt", packed.getvalue())
    write(folder, "half.srt", SRT.format(word="gear").encode() + b"\xff\xfe\x80 broken \xc3\x28" + b"\n")
    report = await index_paths(store, [folder])
    reasons = {Path(r.path).name: r.reason for r in report.rejects}
    assert reasons["one-line.vtt"].startswith("file too large")
    assert {"bomb.vtt", "zipped.vtt"} <= set(reasons)
    assert report.indexed == 2  # good.srt, and half.srt with its broken bytes replaced
    (hit,) = await Searcher(store).search("gear was stuck", limit=1)
    assert hit.source.endswith("half.srt")


async def test_a_file_that_vanishes_or_changes_mid_run_is_reported_then_caught_up(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "casts"
    write(folder, "a.srt", SRT.format(word="lever"))
    write(folder, "b.srt", SRT.format(word="gear"))
    real_read = indexer.read_document

    def meddling_read(path: Path):
        if path.name == "a.srt":
            path.unlink()
        if path.name == "b.srt":
            path.write_text(SRT.format(word="spring"), encoding="utf-8")  # changed after it was hashed
        return real_read(path)

    monkeypatch.setattr(indexer, "read_document", meddling_read)
    report = await index_paths(store, [folder], workers=0)
    assert [Path(r.path).name for r in report.rejects] == ["a.srt"]
    assert "cannot read" in report.rejects[0].reason
    monkeypatch.setattr(indexer, "read_document", real_read)
    again = await index_paths(store, [folder], workers=0)
    assert again.indexed == 1 and again.unchanged == 0  # b.srt's new words are picked up
    (hit,) = await Searcher(store).search("spring was stuck", limit=1)
    assert hit.source.endswith("b.srt")


async def test_fifty_members_search_while_a_reindex_and_a_daily_post_run(tmp_path: Path) -> None:
    folder = episodes_folder(tmp_path / "casts", 30, lines=120)
    database = tmp_path / "rewind.db"
    store = await Store.open(database)
    try:
        await index_paths(store, [folder, SAMPLE], workers=0)
        await store.save_schedule(1, 10, 9, "UTC", True)
        searcher, posts = Searcher(store, recheck_seconds=0), []

        async def send(channel: int, post: DailyPost, first_sent: Sent) -> None:
            posts.append(post)
            await first_sent(1)

        poster = DailyPoster(
            store, Summaries(store, searcher), send, clock=lambda: dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC)
        )
        reindexer = Reindexer(database, [folder, SAMPLE], workers=1)
        reindex = reindexer.run(full=True)
        searches = [searcher.search(f"topic{n % 30 + 1} detail{n}", limit=5) for n in range(50)]
        completions = [Suggester(store).episodes(f"cast {n}") for n in range(50)]
        results = await asyncio.gather(reindex, poster.tick(), *searches, *completions, return_exceptions=True)
        await reindexer.close()
    finally:
        await store.close()
    failures = [r for r in results if isinstance(r, BaseException)]
    assert failures == []
    assert all(hits for hits in results[2:52])  # every member got an answer
    assert posts and posts[0].day == dt.date(2026, 3, 10)
    check, segments, indexed = integrity(database)
    assert check == "ok" and segments == indexed


def test_escaped_text_never_pings_or_formats() -> None:
    hostile = "@everyone @here <@123456789012345678> <@&123456789012345678> **b** `c` ||s|| [x](http://e)"
    shown = render.escape(hostile)
    assert "@everyone" not in shown and "@here" not in shown
    assert "<@" not in shown
    assert "**" not in shown.replace("\\*", "") and "`" not in shown.replace("\\`", "")
