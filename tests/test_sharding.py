"""Sharding: SHARD_COUNT and SHARD_IDS, the sharded bot against the test Discord's gateway."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from bot.client import RewindBot, ShardedRewindBot, create_bot
from bot.config import Settings, SettingsError
from models.shards import ShardSlice
from tests.fake_discord import FakeDiscord
from tests.test_e2e import TOKEN, discord_server, serving, settings_for

__all__ = ["discord_server"]

URL = "postgresql://rewind@db.example/rewind"


@pytest.mark.parametrize(
    ("count", "ids", "expected"),
    [("4", "0-3", (0, 1, 2, 3)), ("4", "", (0, 1, 2, 3)), ("4", "2,0", (0, 2)), ("8", "0-1, 4", (0, 1, 4))],
)
def test_shard_settings_name_the_slice(count: str, ids: str, expected: tuple[int, ...]) -> None:
    settings = Settings.from_mapping({"REWIND_DB": URL, "SHARD_COUNT": count, "SHARD_IDS": ids})
    assert (settings.shard_count, settings.shard_ids) == (int(count), expected)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"SHARD_IDS": "0-1"}, "SHARD_IDS needs SHARD_COUNT"),
        ({"SHARD_COUNT": "0"}, "at least 1"),
        ({"SHARD_COUNT": "two"}, "SHARD_COUNT must be a whole number"),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "3-5"}, "names shard 5, but shards are numbered 0 to 3"),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "0,0"}, "one shard twice"),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "0-"}, "such as 0-3 or 0,2"),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "a"}, "such as 0-3 or 0,2"),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "3-1"}, "names no shard"),
    ],
)
def test_bad_shard_settings_are_refused_with_the_reason(values: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_mapping({"REWIND_DB": URL, **values})


def test_a_slice_of_the_shards_needs_the_shared_database(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="postgresql:// REWIND_DB"):
        Settings.from_mapping({"REWIND_DB": str(tmp_path / "r.db"), "SHARD_COUNT": "2", "SHARD_IDS": "1"})
    whole = Settings.from_mapping({"REWIND_DB": str(tmp_path / "r.db"), "SHARD_COUNT": "2"})
    assert whole.shard_ids == (0, 1)  # one process running every shard may keep SQLite


def test_the_bot_is_sharded_only_when_asked(tmp_path: Path) -> None:
    plain = create_bot(Settings.from_mapping({"REWIND_DB": str(tmp_path / "r.db")}))
    assert type(plain) is RewindBot and plain.shard_count is None
    sharded = create_bot(Settings.from_mapping({"REWIND_DB": URL, "SHARD_COUNT": "4", "SHARD_IDS": "2-3"}))
    assert isinstance(sharded, ShardedRewindBot)
    assert (sharded.shard_count, sharded.shard_ids, sharded.intents.value) == (4, [2, 3], 1)


def test_a_server_belongs_to_the_shard_discord_names() -> None:
    assert ShardSlice(4, (1,)).shard_of(41771983423143937 << 0) == (41771983423143937 >> 22) % 4
    fake = FakeDiscord()
    guild = int(fake.guild_for_shard(3, 4, 7))
    assert ShardSlice(4, (3,)).owns(guild) and not ShardSlice(4, (0, 1, 2)).owns(guild)


async def test_a_sharded_bot_identifies_each_shard_and_each_gets_its_own_servers(
    discord_server: FakeDiscord, tmp_path: Path
) -> None:
    fake = discord_server
    fake.guilds = {fake.guild_for_shard(shard, 2, n): str(9000 + 2 * n + shard) for shard in (0, 1) for n in (1, 2)}
    settings = dataclasses.replace(settings_for(tmp_path), shard_count=2, shard_ids=(0, 1))
    async with serving(discord_server, settings) as bot:
        await discord_server.until(lambda: len(discord_server.identifies) == 2)
        await bot.wait_until_ready()
        assert sorted((i.shard_id, i.num_shards) for i in discord_server.identifies) == [(0, 2), (1, 2)]
        assert discord_server.intents == 1  # GUILDS only
        assert {str(g.id) for g in bot.guilds} == set(discord_server.guilds)
        assert {g.shard_id for g in bot.guilds} == {0, 1}
        assert all(g.shard_id == (g.id >> 22) % 2 for g in bot.guilds)


async def test_processes_identify_each_bucket_5_s_apart_and_one_syncs_the_commands(
    discord_server: FakeDiscord, tmp_path: Path, postgres_url: str
) -> None:
    fake = discord_server
    fake.max_concurrency = 2  # buckets: shards 0 and 2, shards 1 and 3
    fake.guilds = {fake.guild_for_shard(shard, 4, 1): str(9100 + shard) for shard in range(4)}
    base = dataclasses.replace(settings_for(tmp_path), database=postgres_url, shard_count=4)
    high, low = (create_bot(dataclasses.replace(base, shard_ids=ids)) for ids in ((2, 3), (0, 1)))
    started = [asyncio.create_task(high.start(TOKEN))]  # first: with a fresh store it would sync too
    await fake.until(lambda: len(fake.identifies) == 1)  # high's start-up is done
    high_done = len(fake.requests)
    started.append(asyncio.create_task(low.start(TOKEN)))
    try:
        await fake.until(lambda: len(fake.identifies) == 4, seconds=40)
        await high.wait_until_ready()
        await low.wait_until_ready()
        await low._indexing
    finally:
        for bot in (high, low):
            await bot.close()
        await asyncio.gather(*started)
    at = {identify.shard_id: identify.at for identify in fake.identifies}
    assert abs(at[0] - at[2]) >= 5.0 and abs(at[1] - at[3]) >= 5.0, at
    syncs = [n for n, r in enumerate(fake.requests) if r.method == "PUT" and r.path.endswith("/commands")]
    assert len(syncs) == 1 and syncs[0] >= high_done  # by the process running shard 0, not the first one up
