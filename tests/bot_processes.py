"""Real bot processes for multi-process tests, reusable by any test that needs several.

Each `BotProcess` runs `python -m tests.bot_process` (the real bot, its settings from the
environment) against a test Discord that the test itself serves (tests/fake_discord.py) and the
store the test gives it. The processes are real: they can be killed (SIGKILL) and started again.

    async with serve_discord(fake) as url:
        one = BotProcess("one", bot_environment(url, database, SHARD_COUNT="4", SHARD_IDS="0-1"), tmp_path)
        async with running(one, other):
            await fake.until(lambda: ...)   # wait for a condition, never sleep
            one.kill()
            await one.wait()
            await one.start()
            await eventually(a_store_query)  # poll the store with a deadline

On failure, `BotProcess.log()` holds what the process printed (its log lines).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from aiohttp.test_utils import TestServer

from tests.conftest import REPO
from tests.fake_discord import FakeDiscord

TOKEN = "MTAxMjM0NTY3ODkwMTIzNDU2Nzg5.GaBcDe.abcdefghijklmnopqrstuvwxyz0123"


@contextlib.asynccontextmanager
async def serve_discord(fake: FakeDiscord) -> AsyncIterator[str]:
    """Serve `fake` on 127.0.0.1 for other processes; yields its http://127.0.0.1:PORT."""
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        await server.close()


def bot_environment(discord_url: str, database: str | Path, **settings: str) -> dict[str, str]:
    """The environment of a bot process: this one's (PATH, the venv), Rewind's settings, the test Discord."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("REWIND_", "SHARD_"))}
    return {
        **environment,
        "DISCORD_TOKEN": TOKEN,
        "REWIND_DB": str(database),
        "REWIND_SEMANTIC": "off",
        "INDEX_WORKERS": "1",
        "LOG_LEVEL": "INFO",
        "REWIND_TEST_DISCORD": discord_url,
        "PYTHONPATH": str(REPO),
        **settings,
    }


class BotProcess:
    """One bot process: `start()`, `kill()` (SIGKILL, as a crash), `stop()` (SIGTERM, then wait)."""

    def __init__(self, name: str, environment: dict[str, str], folder: Path) -> None:
        self.name, self.environment = name, environment
        self.log_path = folder / f"bot-{name}.log"
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self) -> None:
        """Start the process (again, after a kill or stop); its output goes to the log."""
        assert self.process is None or self.process.returncode is not None, f"{self.name} is running"
        self.starts += 1
        with self.log_path.open("a") as log:
            log.write(f"--- start {self.starts}\n")
            log.flush()
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tests.bot_process", cwd=self.log_path.parent, env=self.environment,
                stdout=log, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip

    def kill(self) -> None:
        """SIGKILL: the process stops at once, mid-whatever, as in a crash or an OOM kill."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        """SIGTERM and wait for the exit (killing it after 10 s)."""
        if self.process is None or self.process.returncode is not None:
            return
        self.process.terminate()
        try:
            async with asyncio.timeout(10):
                await self.process.wait()
        except TimeoutError:
            self.process.kill()
            await self.process.wait()

    async def wait(self) -> int:
        """Wait for the process to end; its exit code."""
        assert self.process is not None
        return await self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


async def eventually(check: Callable[[], Awaitable[bool]], *, seconds: float = 30) -> None:
    """Poll `check` (a store query, say) every 0.1 s until it holds; TimeoutError after `seconds`."""
    async with asyncio.timeout(seconds):
        while not await check():  # noqa: ASYNC110 (a store has no event to wait on)
            await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def running(*processes: BotProcess) -> AsyncIterator[tuple[BotProcess, ...]]:
    """Start the processes; stop every one at the end, printing their logs if the test failed."""
    try:
        for process in processes:
            await process.start()
        yield processes
    except BaseException:
        for process in processes:
            print(f"=== {process.name}\n{process.log()[-6000:]}")
        raise
    finally:
        for process in processes:
            await process.stop()
