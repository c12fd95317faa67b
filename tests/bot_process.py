"""One real bot process for multi-process tests: `python -m tests.bot_process`, run by
tests/bot_processes.py. The bot is Rewind's own (create_bot, its settings from the environment);
only where Discord is and, for the test's sake, the clock and the daily loop's pace are set here:

    REWIND_TEST_DISCORD  http://127.0.0.1:PORT of the test Discord (REST at /api/v10, gateway at /gateway)
    REWIND_TEST_NOW      an ISO time the bot's clock starts at, then runs at real speed (default: real time)
    REWIND_TEST_TICK     seconds between two daily-post ticks (the bot's own: 60)
    REWIND_TEST_LEASE    seconds a daily post's claim holds (the bot's own: bot.schedule.CLAIM_LEASE)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import time

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.client import create_bot
from bot.config import Settings
from bot.schedule import DailyPoster
from cogs.onthisday import OnThisDay
from models.clock import Clock, utc_now


def clock_from(start: str) -> Clock:
    """A clock that starts at `start` when the process does and runs at real speed."""
    origin, began = dt.datetime.fromisoformat(start), time.monotonic()
    return lambda: origin + dt.timedelta(seconds=time.monotonic() - began)


async def serve(settings: Settings, clock: Clock) -> None:
    bot = create_bot(settings, clock=clock)
    async with bot:
        await bot.start(settings.token or "")


def main() -> None:
    base = os.environ["REWIND_TEST_DISCORD"]
    Route.BASE = f"{base}/api/v10"
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(base.replace("http", "ws", 1) + "/gateway")
    if tick := os.environ.get("REWIND_TEST_TICK"):
        OnThisDay.daily.change_interval(seconds=float(tick))  # each cog's loop copies the class's
    if lease := os.environ.get("REWIND_TEST_LEASE"):
        DailyPoster.lease = float(lease)
    now = os.environ.get("REWIND_TEST_NOW")
    settings = Settings.from_environment()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    asyncio.run(serve(settings, clock_from(now) if now else utc_now))


if __name__ == "__main__":
    main()
