"""The real bot against the test Discord with REWIND_DB a PostgreSQL URL: start-up index, slash
commands, admin status and the daily post all run on the shared store."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from bot.schedule import DailyPoster
from storage.postgres import PostgresStore
from tests.fake_discord import CHANNEL_ID, GUILD_ID, MANAGE_GUILD, FakeDiscord
from tests.test_e2e import callback_of, discord_server, followup_of, search_options, serving, settings_for, subcommand

__all__ = ["discord_server"]  # the test Discord fixture, shared with tests/test_e2e.py


async def test_the_bot_serves_searches_and_posts_from_postgresql(
    discord_server: FakeDiscord, tmp_path: Path, postgres_url: str
) -> None:
    settings = dataclasses.replace(settings_for(tmp_path), database=postgres_url)
    at_nine = dt.datetime(2026, 3, 10, 9, 0, 30, tzinfo=dt.UTC)
    async with serving(discord_server, settings, clock=lambda: at_nine) as bot:
        assert isinstance(bot.store, PostgresStore)
        token = await discord_server.slash_command("quote", search_options("roll back fast"))
        followup = await followup_of(discord_server, token)
        (embed,) = followup.body["embeds"]
        assert embed["title"] == "Rewind Radio – Shipping software"
        token = await discord_server.slash_command("admin", subcommand("status"), permissions=MANAGE_GUILD)
        (status,) = (await callback_of(discord_server, token)).body["data"]["embeds"]
        fields = {field["name"]: field["value"] for field in status["fields"]}
        assert fields["Index"].startswith("1 shows · 2 episodes")
        assert fields["Reindex"].startswith("Finished")
        cog = bot.get_cog("OnThisDay")
        cog.daily.cancel()
        await bot.store.save_schedule(int(GUILD_ID), int(CHANNEL_ID), 9, "UTC", True)
        poster = DailyPoster(bot.store, bot.summaries, cog.deliver, clock=lambda: at_nine)
        assert [o.posted for o in await poster.tick()] == [True]
        assert await poster.tick() == []
    headings = [m for m in discord_server.channel_messages if (m["content"] or "").startswith("📅")]
    assert len(headings) == 1
    synced = [r for r in discord_server.requests if r.method == "PUT" and r.path.endswith("/commands")]
    async with serving(discord_server, settings):  # a second process start: the commands' digest is shared
        pass
    assert [r for r in discord_server.requests if r.method == "PUT" and r.path.endswith("/commands")] == synced
