"""Several real bot processes (tests/bot_processes.py), each over its own slice of the shards,
sharing one PostgreSQL store and the test Discord."""

from __future__ import annotations

import collections
from pathlib import Path

from bot.ingest.indexer import index_paths
from storage.postgres import PostgresStore
from tests.bot_processes import BotProcess, bot_environment, running, serve_discord
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
    """A bot process running `shard_ids` of SHARDS, its clock at NOW, ticking every half second."""
    environment = bot_environment(
        discord_url,
        database,
        SHARD_COUNT=str(SHARDS),
        SHARD_IDS=shard_ids,
        TRANSCRIPT_DIRS=str(SAMPLE),
        REWIND_TEST_NOW=NOW,
        REWIND_TEST_TICK="0.5",
    )
    return BotProcess(name, environment, folder)


async def test_two_processes_post_each_servers_daily_post_once(postgres_url: str, tmp_path: Path) -> None:
    fake = FakeDiscord(max_concurrency=SHARDS)
    chosen = servers(fake, 200)
    due = {fake.guilds[g]: day for g, (_, _, day) in chosen.items() if day is not None}
    await prepared(postgres_url, fake, chosen)
    async with serve_discord(fake) as discord_url:
        low = bot("low", "0-1", discord_url, postgres_url, tmp_path)
        high = bot("high", "2-3", discord_url, postgres_url, tmp_path)
        async with running(low, high):
            await fake.until(lambda: sum(map(len, headings(fake).values())) >= len(due), seconds=60)
            assert sorted(i.shard_id for i in fake.identifies) == [0, 1, 2, 3]
    posted = headings(fake)
    assert set(posted) == set(due)  # the server not yet due got nothing
    assert {channel: len(found) for channel, found in posted.items()} == dict.fromkeys(due, 1)
    assert all(due[channel] in found[0] for channel, found in posted.items())  # each server's own local date
