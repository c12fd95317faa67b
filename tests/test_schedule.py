"""The daily post's schedule, driven by an injected clock: once per local day, whatever happens."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from email.utils import format_datetime
from pathlib import Path

import pytest

from bot.ingest.indexer import index_paths
from bot.onthisday import DailyPost
from bot.schedule import CLAIM_BATCH, DailyPoster, DeliveryError, Sent, checked_timezone
from bot.search.engine import Searcher
from bot.summary.service import Summaries
from models.shards import ShardSlice
from storage import Store
from tests.conftest import write

UTC = dt.UTC
START = dt.datetime(2020, 1, 1, 12, tzinfo=UTC)
BERLIN, NEW_YORK, TOKYO = 1, 2, 3


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class Channels:
    """Records what each channel received; a channel can be made to fail."""

    def __init__(self) -> None:
        self.posts: list[tuple[int, DailyPost]] = []
        self.failing: dict[int, DeliveryError] = {}

    async def send(self, channel_id: int, post: DailyPost, first_sent: Sent) -> None:
        if channel_id in self.failing:
            raise self.failing[channel_id]
        self.posts.append((channel_id, post))
        await first_sent(len(self.posts))

    def days(self, channel_id: int) -> list[dt.date]:
        return [post.day for channel, post in self.posts if channel == channel_id]


@pytest.fixture
async def indexed(store: Store, tmp_path: Path) -> Store:
    """A feed with an episode for every day of 2020, so every day has something to post."""
    items = "".join(
        f"<item><title>Day {n}</title><pubDate>{format_datetime(START + dt.timedelta(days=n))}</pubDate>"
        f"<description>Notes of the episode for day {n}. It talks about topic {n} at length.</description></item>"
        for n in range(366)
    )
    write(tmp_path, "daily.xml", f'<?xml version="1.0"?><rss version="2.0"><channel><title>Daily</title>{items}'
          "</channel></rss>")  # fmt: skip
    await index_paths(store, [tmp_path / "daily.xml"], workers=1)
    return store


def poster(store: Store, channels: Channels, clock: Clock, shards: ShardSlice | None = None) -> DailyPoster:
    return DailyPoster(store, Summaries(store, Searcher(store)), channels.send, clock=clock, shards=shards)


async def run_hourly(poster: DailyPoster, clock: Clock, start: dt.datetime, hours: int) -> None:
    for hour in range(hours):
        clock.now = start + dt.timedelta(hours=hour)
        await poster.tick()


async def test_each_server_posts_at_its_own_local_hour(indexed: Store) -> None:
    await indexed.save_schedule(BERLIN, 10, 9, "Europe/Berlin", True)
    await indexed.save_schedule(NEW_YORK, 20, 9, "America/New_York", True)
    channels, clock = Channels(), Clock(dt.datetime(2026, 3, 10, 7, 59, tzinfo=UTC))
    daily = poster(indexed, channels, clock)
    assert await daily.tick() == []  # 08:59 in Berlin
    clock.now = dt.datetime(2026, 3, 10, 8, 0, tzinfo=UTC)  # 09:00 in Berlin, 04:00 in New York
    assert [(o.guild_id, o.posted) for o in await daily.tick()] == [(BERLIN, True)]
    clock.now = dt.datetime(2026, 3, 10, 13, 0, tzinfo=UTC)  # 09:00 EDT (DST began March 8)
    assert [(o.guild_id, o.posted) for o in await daily.tick()] == [(NEW_YORK, True)]
    await run_hourly(daily, clock, dt.datetime(2026, 3, 10, 13, 30, tzinfo=UTC), 9)
    assert channels.days(10) == channels.days(20) == [dt.date(2026, 3, 10)]
    assert channels.posts[0][1].episodes[0].published == "2020-03-10"


async def test_the_local_date_decides_across_midnight(indexed: Store) -> None:
    await indexed.save_schedule(TOKYO, 30, 0, "Asia/Tokyo", True)
    channels, clock = Channels(), Clock(dt.datetime(2026, 3, 9, 15, 0, tzinfo=UTC))  # March 10, 00:00 in Tokyo
    await poster(indexed, channels, clock).tick()
    assert channels.days(30) == [dt.date(2026, 3, 10)]


@pytest.mark.parametrize(
    ("start", "hour"),
    [
        (dt.datetime(2026, 3, 27, 0, 0, tzinfo=UTC), 2),  # Berlin springs from 02:00 to 03:00 on March 29
        (dt.datetime(2026, 10, 23, 0, 0, tzinfo=UTC), 2),  # Berlin's 02:00 happens twice on October 25
    ],
)
async def test_a_dst_switch_neither_skips_nor_doubles_a_day(indexed: Store, start: dt.datetime, hour: int) -> None:
    await indexed.save_schedule(BERLIN, 10, hour, "Europe/Berlin", True)
    channels, clock = Channels(), Clock(start)
    daily = poster(indexed, channels, clock)
    for minutes in range(0, 5 * 24 * 60, 20):  # a tick every 20 minutes for five days
        clock.now = start + dt.timedelta(minutes=minutes)
        await daily.tick()
    days = channels.days(10)
    assert days == [start.date() + dt.timedelta(days=d) for d in range(5)], days


async def test_a_restart_right_after_posting_does_not_post_again(indexed: Store, tmp_path: Path) -> None:
    await indexed.save_schedule(BERLIN, 10, 9, "Europe/Berlin", True)
    channels, clock = Channels(), Clock(dt.datetime(2026, 3, 10, 8, 0, 5, tzinfo=UTC))
    await poster(indexed, channels, clock).tick()
    restarted = await Store.open(tmp_path / "rewind.db")  # a new process: a new connection, no memory
    try:
        clock.now += dt.timedelta(seconds=30)
        await poster(restarted, channels, clock).tick()
    finally:
        await restarted.close()
    assert channels.days(10) == [dt.date(2026, 3, 10)]


async def test_downtime_at_the_posting_hour_is_caught_up_the_same_day(indexed: Store) -> None:
    await indexed.save_schedule(BERLIN, 10, 9, "Europe/Berlin", True)
    channels, clock = Channels(), Clock(dt.datetime(2026, 3, 10, 16, 0, tzinfo=UTC))  # up again at 17:00
    daily = poster(indexed, channels, clock)
    await daily.tick()
    await run_hourly(daily, clock, dt.datetime(2026, 3, 10, 17, 0, tzinfo=UTC), 24)
    assert channels.days(10) == [dt.date(2026, 3, 10), dt.date(2026, 3, 11)]
    assert channels.posts[1][1].day == dt.date(2026, 3, 11)


async def test_a_missing_channel_is_reported_and_retried_the_next_day(indexed: Store) -> None:
    await indexed.save_schedule(BERLIN, 10, 9, "Europe/Berlin", True)
    await indexed.save_schedule(NEW_YORK, 20, 3, "America/New_York", True)
    channels, clock = Channels(), Clock(dt.datetime(2026, 3, 10, 8, 0, tzinfo=UTC))
    channels.failing[10] = DeliveryError("channel 10 is gone", permanent=True)
    daily = poster(indexed, channels, clock)
    outcomes = await daily.tick()
    assert {o.guild_id: o.posted for o in outcomes} == {BERLIN: False, NEW_YORK: True}  # the other server is fine
    assert (await indexed.schedule(BERLIN)).last_error == "channel 10 is gone"
    await run_hourly(daily, clock, dt.datetime(2026, 3, 10, 9, 0, tzinfo=UTC), 12)
    assert channels.days(10) == []  # not retried every minute the same day
    del channels.failing[10]
    await run_hourly(daily, clock, dt.datetime(2026, 3, 11, 0, 0, tzinfo=UTC), 12)
    assert channels.days(10) == [dt.date(2026, 3, 11)]
    assert (await indexed.schedule(BERLIN)).last_error is None


async def test_a_passing_failure_is_retried_on_the_next_tick(indexed: Store) -> None:
    await indexed.save_schedule(BERLIN, 10, 9, "Europe/Berlin", True)
    channels, clock = Channels(), Clock(dt.datetime(2026, 3, 10, 8, 0, tzinfo=UTC))
    channels.failing[10] = DeliveryError("Discord answered 503", permanent=False)
    daily = poster(indexed, channels, clock)
    await daily.tick()
    del channels.failing[10]
    clock.now += dt.timedelta(minutes=1)
    await daily.tick()
    assert channels.days(10) == [dt.date(2026, 3, 10)]


async def test_a_disabled_schedule_posts_nothing(indexed: Store) -> None:
    await indexed.save_schedule(BERLIN, 10, 0, "Europe/Berlin", False)
    channels, clock = Channels(), Clock(dt.datetime(2026, 3, 10, 0, 0, tzinfo=UTC))
    await run_hourly(poster(indexed, channels, clock), clock, clock.now, 48)
    assert channels.posts == []


async def test_with_nothing_to_post_the_status_says_so(store: Store) -> None:
    await store.save_schedule(BERLIN, 10, 9, "Europe/Berlin", True)
    channels, clock = Channels(), Clock(dt.datetime(2026, 3, 10, 8, 0, tzinfo=UTC))
    await poster(store, channels, clock).tick()
    assert channels.posts == []
    assert "nothing to post" in (await store.schedule(BERLIN)).last_error


def test_timezones_are_checked() -> None:
    assert checked_timezone(" Europe/Berlin ") == "Europe/Berlin"
    for bad in ("Mars/Olympus", "", "../../etc/passwd", "CEST+2"):
        with pytest.raises(ValueError, match="IANA name"):
            checked_timezone(bad)


async def test_posting_counts_one_per_day_over_a_month(indexed: Store) -> None:
    await indexed.save_schedule(TOKYO, 30, 23, "Asia/Tokyo", True)
    channels, clock = Channels(), Clock(dt.datetime(2026, 1, 1, tzinfo=UTC))
    await run_hourly(poster(indexed, channels, clock), clock, clock.now, 31 * 24)
    assert set(Counter(channels.days(30)).values()) == {1}
    assert len(channels.days(30)) == 31


async def test_a_claim_whose_process_died_before_sending_is_posted_after_its_lease(indexed: Store) -> None:
    await indexed.save_schedule(BERLIN, 10, 9, "Europe/Berlin", True)
    channels, clock = Channels(), Clock(dt.datetime(2026, 3, 10, 8, 0, tzinfo=UTC))
    (dead,) = await indexed.claim_posts([(BERLIN, "2026-03-10")], "a process that died", 60)
    daily = poster(indexed, channels, clock)
    assert await daily.tick() == []  # its lease still holds: it may yet send
    assert await indexed.claim_posts([(BERLIN, "2026-03-10")], "another process", 60) == []
    await indexed.renew_claim(dead, -1)  # the lease ends
    assert [(o.guild_id, o.posted) for o in await daily.tick()] == [(BERLIN, True)]
    assert channels.days(10) == [dt.date(2026, 3, 10)]
    await indexed.finish_post(dead)  # the dead process's late call changes nothing: the claim is not its own
    assert await daily.tick() == []
    assert (await indexed.schedule(BERLIN)).last_posted == "2026-03-10"


async def test_a_claim_whose_post_went_out_before_its_process_died_is_only_marked_done(indexed: Store) -> None:
    await indexed.save_schedule(BERLIN, 10, 9, "Europe/Berlin", True)
    channels, clock = Channels(), Clock(dt.datetime(2026, 3, 10, 8, 0, tzinfo=UTC))
    (dead,) = await indexed.claim_posts([(BERLIN, "2026-03-10")], "a process that died", 60)
    await indexed.mark_sent(dead, 1234)  # Discord took the first message, then the process was killed
    await indexed.renew_claim(dead, -1)
    assert [(o.guild_id, o.posted) for o in await poster(indexed, channels, clock).tick()] == [(BERLIN, True)]
    assert channels.posts == []  # not sent again
    assert (await indexed.schedule(BERLIN)).last_posted == "2026-03-10"
    clock.now += dt.timedelta(days=1)  # the next day's claim starts without the old message id
    assert [o.posted for o in await poster(indexed, channels, clock).tick()] == [True]
    assert channels.days(10) == [dt.date(2026, 3, 11)]


async def test_each_process_posts_only_to_the_servers_of_its_shards(indexed: Store) -> None:
    guilds = [(n << 22) | n for n in range(1, 2 * CLAIM_BATCH + 8)]  # shard n % 2 of 2, more than two batches
    for guild in guilds:
        await indexed.save_schedule(guild, guild, 9, "UTC", True)
    channels, clock = Channels(), Clock(dt.datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    even = await poster(indexed, channels, clock, ShardSlice(2, (0,))).tick()
    assert sorted(o.guild_id for o in even) == [g for g in guilds if (g >> 22) % 2 == 0]
    odd = await poster(indexed, channels, clock, ShardSlice(2, (1,))).tick()
    assert sorted(o.guild_id for o in odd) == [g for g in guilds if (g >> 22) % 2 == 1]
    assert sorted(channel for channel, _ in channels.posts) == guilds
