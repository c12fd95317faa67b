"""End to end through the test Discord: following a feed, announcing its new episodes once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from bot.client import RewindBot
from tests.fake_discord import APPLICATION_ID, CHANNEL, CHANNEL_ID, MANAGE_GUILD, FakeDiscord
from tests.feed_server import Publisher, item, rss, vtt
from tests.test_e2e import button_ids, callback_of, discord_server, followup_of, serving, settings_for, subcommand

__all__ = ["discord_server"]  # the fixture, shared with the other end-to-end tests

CHANNEL_MESSAGES = f"/channels/{CHANNEL_ID}/messages"


@pytest.fixture
async def publisher() -> AsyncIterator[Publisher]:
    served = Publisher()
    server = TestServer(served.app(), host="127.0.0.1")
    await server.start_server()
    served.base = f"http://127.0.0.1:{server.port}"
    served.files["/t/1.vtt"] = vtt("The first episode was about sea shanties.")
    served.feeds["/feed.xml"] = rss("Harbour Radio", [item(1, "Shanties", transcripts=(("/t/1.vtt", "text/vtt"),))])
    yield served
    await server.close()


async def poll_now(bot: RewindBot) -> None:
    """One round of the feed loop, without waiting for the feeds to be due."""
    cog = bot.get_cog("Feeds")
    await cog.announce_if_new(await cog.follower.poll_all())  # type: ignore[union-attr]


def posts(fake: FakeDiscord) -> list[dict]:
    return [r.body for r in fake.requests if r.method == "POST" and r.path == CHANNEL_MESSAGES]


async def test_a_followed_feed_announces_each_new_episode_once(
    discord_server: FakeDiscord, publisher: Publisher, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path)
    async with serving(discord_server, settings) as bot:
        options = subcommand("announce")
        options[0]["options"].append({"name": "channel", "type": 7, "value": CHANNEL_ID})
        resolved = {"channels": {CHANNEL_ID: {**CHANNEL, "permissions": "84992"}}}
        token = await discord_server.slash_command("admin", options, permissions=MANAGE_GUILD, resolved=resolved)
        assert "will be posted to" in (await callback_of(discord_server, token)).body["data"]["content"]

        feed_add = [{"name": "feed", "type": 2, "options": subcommand("add", url=f"{publisher.base}/feed.xml")}]
        token = await discord_server.slash_command("admin", feed_add, permissions=MANAGE_GUILD)
        assert (await callback_of(discord_server, token)).body["type"] == 5
        reply = (await followup_of(discord_server, token)).body
        assert "Following" in reply["content"] and "1 episodes, 1 transcripts fetched" in reply["content"]
        await poll_now(bot)
        assert posts(discord_server) == []  # the episode that was out before the feed was added

        publisher.files["/t/2.vtt"] = vtt("Today we talk about knots and ropes.")
        publisher.feeds["/feed.xml"] = rss(
            "Harbour Radio",
            [item(1, "Shanties", transcripts=(("/t/1.vtt", "text/vtt"),)),
             item(2, "Knots", transcripts=(("/t/2.vtt", "text/vtt"),), notes="All about knots. And ropes.")],
        )  # fmt: skip
        await poll_now(bot)
        await poll_now(bot)  # a re-poll (a 304) posts nothing more

    (post,) = posts(discord_server)
    (embed,) = post["embeds"]
    assert embed["title"] == "Harbour Radio – Knots"
    assert embed["url"] == f"{publisher.base}/media/2.mp3"
    assert embed["description"] == "All about knots."  # a one-line transcript: the notes say more
    assert post["allowed_mentions"] == {"parse": []}

    publisher.feeds["/feed.xml"] = publisher.feeds["/feed.xml"].replace("<title>Knots", "<title>Knots (edited)")
    async with serving(discord_server, settings) as bot:  # a restart, then the edited item
        await poll_now(bot)
        message = next(m for m in discord_server.channel_messages if m["embeds"] == post["embeds"])
        press = await discord_server.click(message, button_ids(message)["Summary"])
        assert (await callback_of(discord_server, press)).body["type"] == 5
        summary = await discord_server.wait_for(lambda r: r.path == f"/webhooks/{APPLICATION_ID}/{press}")
    assert summary.body["embeds"][0]["title"] == "Harbour Radio – Knots (edited)"
    assert summary.body["flags"] == 64
    assert len(posts(discord_server)) == 1


async def test_admin_feed_list_and_status_show_a_failing_feed(
    discord_server: FakeDiscord, publisher: Publisher, tmp_path: Path
) -> None:
    publisher.feeds["/feed.xml"] = "<rss><channel><item>"
    async with serving(discord_server, settings_for(tmp_path)):
        feed_add = [{"name": "feed", "type": 2, "options": subcommand("add", url=f"{publisher.base}/feed.xml")}]
        token = await discord_server.slash_command("admin", feed_add, permissions=MANAGE_GUILD)
        assert "first poll failed: malformed feed" in (await followup_of(discord_server, token)).body["content"]
        token = await discord_server.slash_command(
            "admin", [{"name": "feed", "type": 2, "options": subcommand("list")}], permissions=MANAGE_GUILD
        )
        listed = (await callback_of(discord_server, token)).body["data"]["content"]
        assert "failing" in listed and "malformed feed" in listed
        token = await discord_server.slash_command("admin", subcommand("status"), permissions=MANAGE_GUILD)
        (embed,) = (await callback_of(discord_server, token)).body["data"]["embeds"]
        fields = {field["name"]: field["value"] for field in embed["fields"]}
        assert "malformed feed" in fields["Feeds (1)"]
        assert fields["New-episode posts"] == "Not set up: use `/admin announce`."
