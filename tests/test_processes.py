"""Several real bot processes (tests/bot_processes.py), each over its own slice of the shards,
sharing one PostgreSQL store and the test Discord."""

from __future__ import annotations

import collections
import re
from pathlib import Path

from bot.ingest.indexer import index_paths
from models.shards import ShardSlice
from models.state import ScheduleRow
from storage.postgres import PostgresStore
from tests.bot_processes import BotProcess, bot_environment, eventually, running, serve_discord
from tests.conftest import SAMPLE
from tests.fake_discord import FakeDiscord

NOW = "2026-03-10T12:00:00+00:00"
# (timezone, hour of the post, the local date at NOW): every one due at NOW but the last
ZONES = [
    ("UTC", 9, "March 10"),
    ("America/New_York", 7, "March 10"),
    ("Asia/Tokyo", 20, "March 10"),
    ("Pacific/Kiritimati", 1, "March 11"),
    ("America/Los_Angeles", 5, "March 10"),
    ("Europe/Berlin", 23, None),
]
SHARDS = 4


def servers(fake: FakeDiscord, count: int) -> dict[str, tuple[str, int, str | None]]:
    """`count` servers spread over the shards and the zones: guild id -> (zone, hour, local date)."""
    chosen = {}
    for n in range(count):
        guild = fake.guild_for_shard(n % SHARDS, SHARDS, n)
        fake.guilds[guild] = str(int(guild) + 1)
        chosen[guild] = ZONES[n % len(ZONES)]
    del fake.guilds["1100000000000000003"]  # the default test server is not one of these
    return chosen


async def prepared(url: str, fake: FakeDiscord, chosen: dict[str, tuple[str, int, str | None]]) -> None:
    store = await PostgresStore.open(url)
    try:
        await index_paths(store, [SAMPLE], embedder=None)
        for guild, (zone, hour, _) in chosen.items():
            await store.save_schedule(int(guild), int(fake.guilds[guild]), hour, zone, True)
    finally:
        await store.close()


def headings(fake: FakeDiscord) -> dict[str, list[str]]:
    """The daily posts' headings, by channel."""
    found = collections.defaultdict(list)
    for message in fake.channel_messages:
        if (message["content"] or "").startswith("📅"):
            found[message["channel_id"]].append(message["content"])
    return found


def bot(name: str, shard_ids: str, discord_url: str, database: str, folder: Path) -> BotProcess:
    """A bot process running `shard_ids` of SHARDS, its clock at NOW, ticking every half second,
    a daily post's claim held 1 s (so a dead process's claims are taken over soon)."""
    environment = bot_environment(
        discord_url,
        database,
        SHARD_COUNT=str(SHARDS),
        SHARD_IDS=shard_ids,
        TRANSCRIPT_DIRS=str(SAMPLE),
        REWIND_TEST_NOW=NOW,
        REWIND_TEST_TICK="0.5",
        REWIND_TEST_LEASE="1",
    )
    return BotProcess(name, environment, folder)


def posted_guilds(process: BotProcess) -> set[int]:
    """The servers a process's log says it posted to."""
    return {int(guild) for guild in re.findall(r"posted on-this-day \S+ for guild (\d+)", process.log())}


async def test_each_daily_post_appears_once_across_processes_though_one_is_killed_mid_tick(
    postgres_url: str, tmp_path: Path
) -> None:
    fake = FakeDiscord(max_concurrency=SHARDS, post_delay=0.02)
    chosen = servers(fake, 200)
    due = {fake.guilds[g]: day for g, (_, _, day) in chosen.items() if day is not None}
    low_channels = {fake.guilds[g] for g in chosen if (int(g) >> 22) % SHARDS in (0, 1)}
    await prepared(postgres_url, fake, chosen)
    store = await PostgresStore.open(postgres_url)

    async def unfinished() -> list[ScheduleRow]:
        rows = await store.schedules(ShardSlice(SHARDS, (0, 1)))
        return [row for row in rows if row.last_posted is None and chosen[str(row.guild_id)][2] is not None]

    async def all_done() -> bool:
        return all(row.last_posted for row in await store.schedules() if chosen[str(row.guild_id)][2])

    try:
        async with serve_discord(fake) as discord_url:
            low = bot("low", "0-1", discord_url, postgres_url, tmp_path)
            high = bot("high", "2-3", discord_url, postgres_url, tmp_path)
            async with running(low, high):
                await fake.until(lambda: len(set(headings(fake)) & low_channels) >= 10, seconds=60)
                low.kill()  # mid-tick: its first batch of 25 claimed, about 10 of them posted
                await low.wait()
                assert len(await unfinished()) > 0
                await low.start()
                await eventually(all_done, seconds=60)
                assert sorted(i.shard_id for i in fake.identifies) == [0, 0, 1, 1, 2, 3]
    finally:
        await store.close()
    posted = headings(fake)
    assert set(posted) == set(due)  # the server not yet due got nothing
    assert {channel: len(found) for channel, found in posted.items()} == dict.fromkeys(due, 1)
    assert all(due[channel] in found[0] for channel, found in posted.items())  # each server's own local date
    assert {(guild >> 22) % SHARDS for guild in posted_guilds(low)} <= {0, 1}  # each process posted
    assert {(guild >> 22) % SHARDS for guild in posted_guilds(high)} == {2, 3}  # only to its own shards
    print(f"repeated nonces answered with the first message: {fake.repeated_nonces}")
