"""`rewind indexer` beside two real bot processes (tests/bot_processes.py) on one PostgreSQL store:
`/admin reindex` from either process enqueues one job, the indexer runs it, and both processes'
searches find what it indexed."""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
from pathlib import Path

from bot.ingest.indexer import index_paths
from storage.locks import indexer_lock
from storage.postgres import PostgresStore
from tests.bot_processes import BotProcess, bot_environment, running, serve_discord
from tests.conftest import REPO, SAMPLE, write
from tests.fake_discord import APPLICATION_ID, MANAGE_GUILD, FakeDiscord

SHARDS = 2
PHRASE = "the lighthouse keeper counted every wave twice"
SEEN_WITHIN = 2.0  # seconds from the job's end to a hit in each process (the bound)


def reindex(full: bool = False) -> list[dict[str, object]]:
    return [{"name": "reindex", "type": 1, "options": [{"name": "full", "type": 5, "value": full}]}]


def search(query: str) -> list[dict[str, object]]:
    return [{"name": "search", "type": 1, "options": [{"name": "query", "type": 3, "value": query}]}]


async def polled(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def test_both_processes_see_the_indexers_reindex_and_two_admins_enqueue_one_job(
    postgres_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "show"
    write(folder, "ep1.txt", "00:01 Ana: Welcome to the harbour show.\n\n00:09 Ben: Glad to be here.\n")
    fake = FakeDiscord(max_concurrency=SHARDS)
    guilds = [fake.guild_for_shard(shard, SHARDS, shard) for shard in range(SHARDS)]
    for guild in guilds:
        fake.guilds[guild] = str(int(guild) + 1)
    store = await PostgresStore.open(postgres_url)
    indexer = None
    try:
        await index_paths(store, [folder, SAMPLE], embedder=None)
        environment = bot_environment("", postgres_url)
        del environment["REWIND_TEST_DISCORD"]
        with (tmp_path / "indexer.log").open("w") as log:
            indexer = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "indexer", str(folder), str(SAMPLE), cwd=REPO, env=environment,
                stdout=log, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
        lock = indexer_lock(store)

        async def indexer_holds_the_lock() -> bool:
            return await lock.holder() is not None

        await polled(indexer_holds_the_lock, 60, "the indexer to take its lock")
        async with serve_discord(fake) as url:
            settings = {"SHARD_COUNT": str(SHARDS), "TRANSCRIPT_DIRS": f"{folder},{SAMPLE}"}
            processes = [
                BotProcess(name, bot_environment(url, postgres_url, SHARD_IDS=str(shard), **settings), tmp_path)
                for shard, name in enumerate(("low", "high"))
            ]
            async with running(*processes):
                await fake.until(lambda: len(fake.identifies) == SHARDS, seconds=60)

                async def no_open_job() -> bool:  # the processes' start-up jobs, run by the indexer
                    started = all("start-up index" in process.log() for process in processes)
                    return started and all(job.finished for job in await store.jobs.recent_jobs(5))

                await polled(no_open_job, 60, "the start-up jobs")
                write(folder, "ep2.txt", f"00:01 Ana: Tonight {PHRASE} before dawn.\n\n00:09 Ben: Every one?\n")
                tokens = [
                    await fake.slash_command("admin", reindex(), permissions=MANAGE_GUILD, guild_id=guild)
                    for guild in guilds
                ]
                originals = [f"/webhooks/{APPLICATION_ID}/{token}/messages/@original" for token in tokens]

                def answered() -> list[str]:
                    final = ("Not started", "✅ Reindexed", "❌")
                    return [
                        r.body["content"] for r in fake.requests
                        if r.path in originals and r.body and r.body.get("content", "").startswith(final)
                    ]  # fmt: skip

                await fake.until(lambda: len(answered()) == SHARDS, seconds=60)
                assert sorted(text.split()[0] for text in answered()) == ["Not", "✅"], answered()
                asked = [j for j in await store.jobs.recent_jobs(10) if j.requested_by != "start-up"]
                assert len(asked) == 1 and asked[0].status == "done", asked
                ended = time.monotonic()
                for n, guild in enumerate(guilds):
                    await seen_within(fake, guild, ended, n)
    finally:
        if indexer is not None and indexer.returncode is None:
            indexer.terminate()
            await indexer.wait()
        await store.close()
    assert indexer.returncode == 0


async def seen_within(fake: FakeDiscord, guild: str, ended: float, n: int) -> None:
    """Search `PHRASE` in `guild` (its own process) until a hit, within SEEN_WITHIN of `ended`."""
    for attempt in itertools.count():
        user = str(1300000000000000000 + n * 1000 + attempt)  # a member of their own each time: no cooldown
        token = await fake.slash_command("quote", search(PHRASE), guild_id=guild, user_id=user)
        reply = await fake.wait_for(lambda r, token=token: r.path == f"/webhooks/{APPLICATION_ID}/{token}")
        if "lighthouse" in json.dumps(reply.body):
            return
        waited = time.monotonic() - ended
        assert waited < SEEN_WITHIN, f"the process of {guild} did not find the new episode {waited:.1f} s after"
