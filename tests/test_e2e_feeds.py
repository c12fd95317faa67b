"""End to end through the test Discord: following a feed, announcing its new episodes once, uploads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from discord.http import Route

from bot.client import RewindBot
from tests.fake_discord import APPLICATION_ID, CHANNEL, CHANNEL_ID, MANAGE_GUILD, FakeDiscord
from tests.feed_server import Publisher, item, rss, vtt
from tests.test_e2e import (
    button_ids,
    callback_of,
    discord_server,
    followup_of,
    search_options,
    serving,
    settings_for,
    subcommand,
)

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
    await cog.announce_if_new(await bot.follower.poll_all())  # type: ignore[union-attr]


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


def upload_options(attachment_id: str, **options: object) -> list[dict[str, object]]:
    command = subcommand("upload", **options)
    command[0]["options"].insert(0, {"name": "file", "type": 11, "value": attachment_id})
    return command


def attached(fake: FakeDiscord, attachment_id: str, filename: str, data: bytes, size: int | None = None) -> dict:
    fake.attachments[attachment_id] = data
    base = Route.BASE.removesuffix("/api/v10")
    url = f"{base}/attachments/{attachment_id}/file"
    entry = {"id": attachment_id, "filename": filename, "size": len(data) if size is None else size,
             "url": url, "proxy_url": url}  # fmt: skip
    return {"attachments": {attachment_id: entry}}


async def test_an_uploaded_vtt_is_searchable_at_once(discord_server: FakeDiscord, tmp_path: Path) -> None:
    captions = vtt("Welcome back to Harbour Radio.", "Barnacles grow faster in warm water.").encode()
    async with serving(discord_server, settings_for(tmp_path)):
        resolved = attached(discord_server, "1300000000000000001", "../../.evil name.vtt", captions)
        token = await discord_server.slash_command(
            "admin", upload_options("1300000000000000001", show="Harbour Radio"), permissions=MANAGE_GUILD,
            resolved=resolved,
        )  # fmt: skip
        assert (await callback_of(discord_server, token)).body["type"] == 5
        reply = (await followup_of(discord_server, token)).body["content"]
        assert reply.startswith("Added `Harbour Radio/evil name.vtt`") and "searchable now" in reply

        token = await discord_server.slash_command("quote", search_options("barnacles grow faster"))
        (embed,) = (await followup_of(discord_server, token)).body["embeds"]
        assert "in warm water." in embed["description"] and "__Barnacles__" in embed["description"]
        assert embed["title"].startswith("Harbour Radio")

        again = attached(discord_server, "1300000000000000002", "evil name.vtt", b"not a transcript\n")
        token = await discord_server.slash_command(
            "admin", upload_options("1300000000000000002", show="Harbour Radio", replace=True),
            permissions=MANAGE_GUILD, resolved=again,
        )  # fmt: skip
        assert (await followup_of(discord_server, token)).body["content"].startswith("❌ Not added: no timestamps")

        huge = attached(discord_server, "1300000000000000003", "huge.vtt", b"WEBVTT\n", size=40_000_000)
        token = await discord_server.slash_command(
            "admin", upload_options("1300000000000000003"), permissions=MANAGE_GUILD, resolved=huge
        )
        refused = (await callback_of(discord_server, token)).body["data"]
        assert refused["content"].startswith("❌ Not added: file too large") and refused["flags"] == 64
    uploads = tmp_path / "uploads"
    assert [p.relative_to(uploads).as_posix() for p in sorted(uploads.rglob("*"))] == [
        "Harbour Radio",
        "Harbour Radio/evil name.vtt",
    ]
    assert (uploads / "Harbour Radio" / "evil name.vtt").read_bytes() == captions  # the good one is kept
    assert not any(r.path.startswith("/attachments/1300000000000000003") for r in discord_server.requests)
