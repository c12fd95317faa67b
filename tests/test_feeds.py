"""Following feeds against a real HTTP server on 127.0.0.1: conditional GET, transcripts, chapters,
and every way a publisher's server can fail."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from bot.announce import Announcement, Announcer
from bot.cli import main
from bot.config import Settings, SettingsError
from bot.feeds import FeedError, FeedFollower, TranscriptLink, best_transcript
from bot.ingest.indexer import MAX_FILE_BYTES, index_paths
from bot.schedule import DeliveryError
from bot.search.engine import Searcher
from bot.summary.service import Summaries
from bot.web import Limits
from storage import Store
from tests.feed_server import Publisher, chapters_json, item, rss, vtt

LIMITS = Limits(connect=2.0, read=0.5, total=10.0)


@pytest.fixture
async def publisher() -> AsyncIterator[Publisher]:
    served = Publisher(stall_seconds=2.0, oversized_bytes=MAX_FILE_BYTES + 1_000_000)
    server = TestServer(served.app(), host="127.0.0.1")
    await server.start_server()
    served.base = f"http://127.0.0.1:{server.port}"
    yield served
    await server.close()


def follower_for(store: Store, tmp_path: Path) -> FeedFollower:
    return FeedFollower(store, tmp_path / "feeds", lambda paths: index_paths(store, paths), limits=LIMITS)


@pytest.fixture
async def follower(store: Store, tmp_path: Path, publisher: Publisher) -> FeedFollower:
    """A follower of the show's feed, polled once."""
    show_feed(publisher)
    followed = follower_for(store, tmp_path)
    await followed.add(f"{publisher.base}/feed.xml")
    await followed.poll_all()
    return followed


def show_feed(publisher: Publisher, *, extra_items: list[str] | None = None) -> None:
    publisher.files["/t/1.vtt"] = vtt("Welcome to the lighthouse keepers show.", "We restored the old foghorn today.")
    publisher.files["/t/1.html"] = "<html><p>the html one</p></html>"
    publisher.files["/c/1.json"] = chapters_json((0, "Hello"), (5, "The foghorn"))
    items = [
        item(1, "Foghorns", transcripts=(("/t/1.html", "text/html"), ("/t/1.vtt", "text/vtt")), chapters="/c/1.json"),
        item(2, "Missing", transcripts=(("/t/gone.vtt", "text/vtt"),)),
        item(3, "Huge", transcripts=(("/huge.vtt", "text/vtt"),)),
        item(4, "Stalled", transcripts=(("/stall.vtt", "text/vtt"),)),
        item(5, "Five hops", transcripts=(("/r/5", "text/vtt"),)),
        item(6, "Six hops", transcripts=(("/r/6", "text/vtt"),)),
        item(7, "No transcript"),
        *(extra_items or []),
    ]
    publisher.feeds["/feed.xml"] = rss("Lighthouse Hour", items)


async def test_a_poll_indexes_good_transcripts_and_reports_each_bad_one(
    store: Store, tmp_path: Path, publisher: Publisher
) -> None:
    show_feed(publisher)
    publisher.feeds["/broken.xml"] = "<rss><channel><title>Broken</title><item><title>half"
    follower = follower_for(store, tmp_path)
    await follower.add(f"{publisher.base}/feed.xml")
    await follower.add(f"{publisher.base}/broken.xml")

    good, broken = sorted(await follower.poll_all(), key=lambda r: r.url.endswith("broken.xml"))

    assert good.status == "ok" and good.items == 7 and len(good.new_episodes) == 7
    assert good.transcripts_fetched == 2  # episode 1 (VTT chosen over HTML) and the five-hop redirect
    reasons = {url.removeprefix(publisher.base): reason for url, reason in good.errors}
    assert reasons["/t/gone.vtt"].startswith("HTTP 404")
    assert "too large" in reasons["/huge.vtt"]
    assert "timed out" in reasons["/stall.vtt"]
    assert reasons["/r/6"] == "more than 5 redirects"
    assert set(reasons) == {"/t/gone.vtt", "/huge.vtt", "/stall.vtt", "/r/6"}
    assert publisher.hits["/t/1.html"] == 0
    assert broken.status == "error" and "malformed feed" in broken.errors[0][1]

    searcher = Searcher(store)
    (hit,) = await searcher.search("restored the old foghorn", limit=1)
    assert (hit.show, hit.number, hit.title) == ("Lighthouse Hour", 1, "Foghorns")
    assert hit.url == f"{publisher.base}/media/1.mp3#t=5"  # the enclosure, deep-linked at the second
    assert await store.chapters_of(hit.episode_id) == [(0.0, "Hello"), (5.0, "The foghorn")]
    assert await searcher.search("redirected transcript arrived", limit=1)
    titles = sorted(e.title for e in await store.list_episodes())
    assert titles == ["Five hops", "Foghorns", "Huge", "Missing", "No transcript", "Six hops", "Stalled"]

    listed = {row.url.removeprefix(publisher.base): row for row in await follower.feeds.feeds()}
    assert listed["/broken.xml"].status == "error" and listed["/broken.xml"].failures == 1
    assert listed["/feed.xml"].status == "ok" and listed["/feed.xml"].last_error is None
    failing = {url.removeprefix(publisher.base) for url, _ in listed["/feed.xml"].failed_downloads}
    assert failing == {"/t/gone.vtt", "/huge.vtt", "/stall.vtt", "/r/6"}  # shown until they are fetched


async def test_an_item_joins_a_transcript_indexed_already_and_its_own_is_not_fetched(
    store: Store, tmp_path: Path, publisher: Publisher
) -> None:
    local = tmp_path / "transcripts" / "Lighthouse Hour"
    local.mkdir(parents=True)
    (local / "Episode 1.vtt").write_text(vtt("Our own recording of the foghorn episode."), encoding="utf-8")
    await index_paths(store, [tmp_path / "transcripts"])
    show_feed(publisher)
    follower = follower_for(store, tmp_path)
    await follower.add(f"{publisher.base}/feed.xml")

    (report,) = await follower.poll_all()

    assert publisher.hits["/t/1.vtt"] == 0 and report.transcripts_fetched == 1  # only the five-hop one
    (hit,) = await Searcher(store).search("our own recording", limit=1)
    assert (hit.show, hit.number, hit.title, hit.published) == ("Lighthouse Hour", 1, "Foghorns", "2026-06-02")
    assert sum(e.number == 1 for e in await store.list_episodes()) == 1


async def test_an_unchanged_feed_costs_one_304_and_a_new_item_is_picked_up(
    store: Store, tmp_path: Path, publisher: Publisher
) -> None:
    show_feed(publisher)
    publisher.feeds["/quiet.xml"] = rss("Quiet Show", [item(1, "Only one")])  # Last-Modified, no ETag
    follower = follower_for(store, tmp_path)
    await follower.add(f"{publisher.base}/feed.xml")
    await follower.add(f"{publisher.base}/quiet.xml")
    await follower.poll_all()
    hits_before = publisher.hits.copy()

    again = await follower.poll_all()

    assert [r.status for r in again] == ["unchanged", "unchanged"]
    assert publisher.not_modified == {"/feed.xml": 1, "/quiet.xml": 1}
    assert publisher.hits - hits_before == {"/feed.xml": 1, "/quiet.xml": 1}  # failed downloads wait (backoff)

    publisher.files["/t/8.vtt"] = vtt("A brand new episode about tides.")
    show_feed(publisher, extra_items=[item(8, "Tides", transcripts=(("/t/8.vtt", "text/vtt"),))])
    (changed,) = [r for r in await follower.poll_all() if r.url.endswith("/feed.xml")]

    assert changed.status == "ok" and changed.new_episodes == ["ep-8"] and changed.transcripts_fetched == 1
    assert await Searcher(store).search("brand new episode about tides", limit=1)


async def test_a_failed_download_is_retried_after_its_backoff(
    store: Store, tmp_path: Path, publisher: Publisher
) -> None:
    publisher.feeds["/feed.xml"] = rss("Late Show", [item(1, "Late", transcripts=(("/t/late.vtt", "text/vtt"),))])
    follower = follower_for(store, tmp_path)
    await follower.add(f"{publisher.base}/feed.xml")
    (first,) = await follower.poll_all()
    assert first.errors and first.transcripts_fetched == 0
    publisher.files["/t/late.vtt"] = vtt("The transcript was late but here it is.")
    await store._db.execute("UPDATE feed_downloads SET next_try_at = '2000-01-01'")  # the backoff has passed

    (second,) = await follower.poll_all()

    assert second.status == "unchanged" and second.transcripts_fetched == 1 and second.errors == []
    assert await Searcher(store).search("late but here it is", limit=1)


async def test_a_feed_that_turns_bad_keeps_its_last_good_episodes(
    store: Store, publisher: Publisher, follower: FeedFollower
) -> None:
    publisher.feeds["/feed.xml"] = "<html><body>Service temporarily unavailable</body></html>"

    (report,) = await follower.poll_all()

    assert report.status == "error"
    (row,) = await follower.feeds.feeds()
    assert row.status == "error" and row.next_poll_at and row.last_error and row.failures == 1
    assert await Searcher(store).search("restored the old foghorn", limit=1)
    assert len(await store.list_episodes()) == 7


async def test_feeds_are_http_only_and_followed_once(store: Store, tmp_path: Path) -> None:
    follower = follower_for(store, tmp_path)
    for bad in ("file:///etc/passwd", "ftp://example.org/feed", "example.org/feed.xml"):
        with pytest.raises(FeedError, match="not an http"):
            await follower.add(bad)
    await follower.add("https://example.org/feed.xml")
    with pytest.raises(FeedError, match="followed already"):
        await follower.add("https://example.org/feed.xml")
    await follower.remove("https://example.org/feed.xml")
    assert await follower.feeds.feeds() == []


async def test_removing_a_feed_takes_its_episodes_out(
    store: Store, tmp_path: Path, publisher: Publisher, follower: FeedFollower
) -> None:
    await follower.remove(f"{publisher.base}/feed.xml")
    assert await store.list_episodes() == []
    assert not any((tmp_path / "feeds").iterdir())


@pytest.mark.parametrize(
    ("links", "language", "chosen"),
    [
        ((("a.txt", "text/plain", None, None), ("a.srt", "application/x-subrip", None, None)), None, "a.srt"),
        ((("a.json", "application/json", None, None), ("a.vtt", "text/vtt", None, None)), "en", "a.vtt"),
        ((("en.vtt", "text/vtt", "en", None), ("de.html", "text/html", "de", None)), "de-DE", "de.html"),
        ((("a.vtt", "text/vtt", None, None), ("c.vtt", "text/vtt", None, "captions")), None, "c.vtt"),
    ],
)
def test_the_best_transcript_is_in_the_feeds_language_and_timed(
    links: tuple[tuple[str, str, str | None, str | None], ...], language: str | None, chosen: str
) -> None:
    best = best_transcript([TranscriptLink(*link) for link in links], language)
    assert best is not None and best.url == chosen


async def test_the_cli_adds_polls_and_lists_feeds(tmp_path: Path, publisher: Publisher, capsys) -> None:
    show_feed(publisher)
    publisher.feeds["/broken.xml"] = "not a feed at all"
    db, url = str(tmp_path / "r.db"), f"{publisher.base}/feed.xml"
    env = {"REWIND_DB": db, "FEED_CACHE_DIR": str(tmp_path / "cache")}

    async def run(*argv: str) -> tuple[int, str]:
        with pytest.MonkeyPatch.context() as patch:
            for key, value in env.items():
                patch.setenv(key, value)
            code = await asyncio.to_thread(main, list(argv))  # the CLI runs an event loop of its own
        return code, capsys.readouterr().out

    assert (await run("feeds", "add", url))[0] == 0
    assert (await run("feeds", "add", f"{publisher.base}/broken.xml"))[0] == 0
    assert (await run("feeds", "add", "gopher://old.example/feed"))[0] == 2
    code, out = await run("feeds", "poll", "--json")
    polled = {entry["url"]: entry for entry in json.loads(out)}
    assert code == 0
    assert set(polled[url]) == {"url", "status", "items", "new_episodes", "transcripts_fetched", "errors"}
    assert (polled[url]["status"], polled[url]["items"], polled[url]["new_episodes"]) == ("ok", 7, 7)
    assert {"url", "reason"} == set(polled[url]["errors"][0])
    assert polled[f"{publisher.base}/broken.xml"]["status"] == "error"
    listed = {entry["url"]: entry for entry in json.loads((await run("feeds", "list", "--json"))[1])}
    assert listed[f"{publisher.base}/broken.xml"]["last_error"].startswith("malformed feed")
    assert len(listed[url]["failed_downloads"]) == 4 and set(listed[url]["failed_downloads"][0]) == {"url", "reason"}
    assert "malformed feed" in (await run("feeds", "list"))[1]
    code, out = await run("index", str(tmp_path / "empty"), "--json")  # the feed downloads come along
    assert json.loads(out)["unchanged"] >= 3
    episodes = json.loads((await run("episodes", "--json"))[1])
    assert any(e["title"] == "Foghorns" and e["segments"] == 2 for e in episodes)
    assert (await run("feeds", "remove", f"{publisher.base}/broken.xml"))[0] == 0
    assert (await run("feeds", "remove", f"{publisher.base}/broken.xml"))[0] == 2

    publisher.feeds.clear()  # offline from here: the publisher answers 404 to everything
    publisher.files.clear()
    code, out = await run("rebuild", "--force", "--json")  # no TRANSCRIPT_DIRS: the feed downloads are enough
    assert code == 0 and json.loads(out)["episodes"] >= 7
    rebuilt = json.loads((await run("episodes", "--json"))[1])
    assert any(e["title"] == "Foghorns" and e["segments"] == 2 for e in rebuilt)


async def test_announcements_go_once_to_each_server_and_a_broken_channel_only_affects_its_own(
    store: Store, tmp_path: Path, publisher: Publisher
) -> None:
    publisher.feeds["/feed.xml"] = rss("Harbour Radio", [item(1, "Old news")])
    follower = follower_for(store, tmp_path)
    await follower.add(f"{publisher.base}/feed.xml")
    await follower.poll_all()
    sent: list[tuple[int, str]] = []

    async def send(channel_id: int, post: Announcement) -> None:
        if channel_id == 666:
            raise DeliveryError("channel 666 no longer exists", permanent=True)
        sent.append((channel_id, post.title))

    feeds = store.feeds
    await feeds.save_announce(1, 100, True)
    await feeds.save_announce(2, 666, True)
    await feeds.save_announce(3, 300, False)
    announcer = Announcer(store, Summaries(store, Searcher(store)), send)
    publisher.feeds["/feed.xml"] = rss("Harbour Radio", [item(1, "Old news"), item(2, "Fresh")])
    await follower.poll_all()

    assert await announcer.tick() == 1
    assert await announcer.tick() == 0  # posted once, however often the loop comes round
    assert sent == [(100, "Fresh")]
    (broken,) = await feeds.announce_channels(2)
    assert broken.last_error == "channel 666 no longer exists"
    assert [p.item_key for p in await feeds.pending_posts(2, broken.since)] == ["ep-2"]  # posted once it is fixed


async def test_a_transcript_the_parsers_refuse_is_dropped_and_retried_later(
    store: Store, tmp_path: Path, publisher: Publisher
) -> None:
    publisher.files["/t/odd.vtt"] = "this is not a transcript at all"
    publisher.feeds["/feed.xml"] = rss("Odd Show", [item(1, "Odd", transcripts=(("/t/odd.vtt", "text/vtt"),))])
    follower = follower_for(store, tmp_path)
    await follower.add(f"{publisher.base}/feed.xml")

    (report,) = await follower.poll_all()

    assert report.transcripts_fetched == 0
    ((url, reason),) = report.errors
    assert url.endswith("/t/odd.vtt") and "no timestamps" in reason
    folder = next((tmp_path / "feeds").iterdir())
    assert sorted(p.name for p in folder.iterdir()) == ["feed.xml"]
    (row,) = await follower.feeds.feeds()
    assert row.failed_downloads == ((url, reason),)
    assert [e.title for e in await store.list_episodes()] == ["Odd"]  # the item itself stays


def test_feeds_in_the_settings_must_be_web_addresses() -> None:
    settings = Settings.from_mapping({"FEEDS": " https://a.example/feed.xml , http://b.example/rss ,"})
    assert settings.feeds == ("https://a.example/feed.xml", "http://b.example/rss")
    assert settings.feed_cache_dir == Path("data/feeds") and settings.upload_dir == Path("data/uploads")
    with pytest.raises(SettingsError, match="FEEDS"):
        Settings.from_mapping({"FEEDS": "file:///etc/passwd"})


async def test_a_feed_that_reuses_a_guid_keeps_both_items(store: Store, tmp_path: Path, publisher: Publisher) -> None:
    publisher.feeds["/feed.xml"] = rss("Copycat", [item(1, "First"), item(1, "Second")])  # both guid ep-1
    follower = follower_for(store, tmp_path)
    await follower.add(f"{publisher.base}/feed.xml")
    (report,) = await follower.poll_all()
    assert report.status == "ok" and report.items == 2 and len(report.new_episodes) == 2
    assert sorted(e.title for e in await store.list_episodes()) == ["First", "Second"]


async def test_a_failing_feed_waits_for_its_backoff_and_a_stalled_one_holds_up_no_other(
    store: Store, tmp_path: Path, publisher: Publisher
) -> None:
    publisher.feeds["/feed.xml"] = rss("Steady", [item(1, "Fine")])
    follower = follower_for(store, tmp_path)
    await follower.add(f"{publisher.base}/stall.vtt")  # answers, then never finishes
    await follower.add(f"{publisher.base}/feed.xml")

    reports = {r.url.removeprefix(publisher.base): r for r in await follower.poll_all()}

    assert reports["/feed.xml"].status == "ok"
    assert reports["/stall.vtt"].status == "error" and "timed out" in reports["/stall.vtt"].errors[0][1]
    assert await follower.poll_all(due_only=True) == []  # neither is due: one backs off, one polled now
    await store._db.execute("UPDATE feeds SET next_poll_at = '2000-01-01' WHERE url LIKE '%stall.vtt'")
    (retried,) = await follower.poll_all(due_only=True)
    assert retried.url.endswith("/stall.vtt")
    (row,) = [r for r in await follower.feeds.feeds() if r.url == retried.url]
    assert row.failures == 2 and row.next_poll_at > row.last_polled_at


async def test_a_cleaned_up_cache_is_fetched_again_not_trusted_to_a_304(
    store: Store, tmp_path: Path, publisher: Publisher, follower: FeedFollower
) -> None:
    shutil.rmtree(tmp_path / "feeds")

    (report,) = await follower.poll_all()

    assert report.status == "ok" and publisher.not_modified["/feed.xml"] == 0
    assert report.transcripts_fetched == 2
    assert await Searcher(store).search("restored the old foghorn", limit=1)
