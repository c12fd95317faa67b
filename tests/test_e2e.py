"""The real discord.py client, pointed at a local fake Discord, answering slash commands."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yarl
from aiohttp.test_utils import TestServer
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.client import create_bot
from bot.config import Settings
from tests.conftest import SAMPLE, needs_shared
from tests.discord_schema import SPEC, request_errors
from tests.fake_discord import APPLICATION_ID, FakeDiscord

TOKEN = "MTAxMjM0NTY3ODkwMTIzNDU2Nzg5.GaBcDe.abcdefghijklmnopqrstuvwxyz0123"


@pytest.fixture
async def discord_server(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    base = f"http://127.0.0.1:{server.port}"
    monkeypatch.setattr(Route, "BASE", f"{base}/api/v10")
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(f"ws://127.0.0.1:{server.port}/gateway"))
    yield fake
    await server.close()


@pytest.fixture
async def running_bot(discord_server: FakeDiscord, tmp_path: Path) -> AsyncIterator[FakeDiscord]:
    settings = Settings.from_mapping(
        {
            "DISCORD_TOKEN": TOKEN,
            "REWIND_DB": str(tmp_path / "rewind.db"),
            "TRANSCRIPT_DIRS": str(SAMPLE),
            "INDEX_WORKERS": "1",
        }
    )
    bot = create_bot(settings)
    task = asyncio.create_task(bot.start(TOKEN))
    await asyncio.wait_for(discord_server.identified.wait(), 30)
    await asyncio.wait_for(bot._indexing, 60)
    yield discord_server
    await bot.close()
    await asyncio.wait_for(task, 30)
    if SPEC.is_file():  # every body the bot sent must match Discord's own API description
        for recorded in discord_server.requests:
            assert request_errors(recorded.method, recorded.path, recorded.body) == [], recorded


async def test_commands_are_synced_with_valid_names(running_bot: FakeDiscord) -> None:
    sync = await running_bot.wait_for(lambda r: r.method == "PUT" and r.path.endswith("/commands"))
    assert sync.path == f"/applications/{APPLICATION_ID}/commands"
    assert {command["name"] for command in sync.body} == {"quote", "episode", "help"}


async def test_quote_search_defers_then_follows_up_with_the_moment(running_bot: FakeDiscord) -> None:
    token = await running_bot.slash_command(
        "quote", [{"name": "search", "type": 1, "options": [{"name": "query", "type": 3, "value": "roll back fast"}]}]
    )
    callback = await running_bot.wait_for(lambda r: r.path.endswith(f"/{token}/callback"))
    assert callback.body["type"] == 5  # deferred: the answer follows
    followup = await running_bot.wait_for(lambda r: r.path == f"/webhooks/{APPLICATION_ID}/{token}")
    (embed,) = followup.body["embeds"]
    assert "Sam Okafor" in embed["description"]
    assert embed["title"] == "Rewind Radio – Shipping software"
    assert followup.body["allowed_mentions"] == {"parse": []}


@needs_shared
def test_the_schema_check_catches_a_bad_body() -> None:
    bad = [{"name": "Bad Name!", "description": "x" * 300, "type": 1}]
    assert request_errors("PUT", f"/applications/{APPLICATION_ID}/commands", bad)


async def test_help_answers_privately(running_bot: FakeDiscord) -> None:
    token = await running_bot.slash_command("help", [])
    callback = await running_bot.wait_for(lambda r: r.path.endswith(f"/{token}/callback"))
    assert callback.body["type"] == 4
    assert callback.body["data"]["flags"] == 64
    assert "/quote search" in callback.body["data"]["content"]


def search_options(query: str) -> list[dict[str, object]]:
    return [{"name": "search", "type": 1, "options": [{"name": "query", "type": 3, "value": query}]}]


async def test_an_oversized_query_gets_a_short_private_explanation(running_bot: FakeDiscord) -> None:
    # Discord enforces the option's 500-character limit; a client that skips it still gets an answer.
    token = await running_bot.slash_command("quote", search_options("lever " * 1000))
    followup = await running_bot.wait_for(lambda r: r.path == f"/webhooks/{APPLICATION_ID}/{token}")
    assert followup.body["flags"] == 64
    assert "too long" in followup.body["content"]


async def test_mentions_in_a_query_ping_nobody(running_bot: FakeDiscord) -> None:
    token = await running_bot.slash_command("quote", search_options("@everyone <@1100000000000000005> roll back"))
    followup = await running_bot.wait_for(lambda r: r.path == f"/webhooks/{APPLICATION_ID}/{token}")
    assert followup.body["allowed_mentions"] == {"parse": []}
    assert "@everyone" not in json.dumps(followup.body)


async def test_a_query_of_stop_words_is_explained_not_failed(running_bot: FakeDiscord) -> None:
    token = await running_bot.slash_command("quote", search_options("!!! ???"))
    followup = await running_bot.wait_for(lambda r: r.path == f"/webhooks/{APPLICATION_ID}/{token}")
    assert followup.body["flags"] == 64
    assert "Type a few words" in followup.body["content"]


def button_ids(message: dict[str, object]) -> dict[str, str]:
    return {b["label"]: b["custom_id"] for row in message["components"] for b in row["components"]}


async def test_the_searcher_pages_through_hits_and_others_cannot(running_bot: FakeDiscord) -> None:
    token = await running_bot.slash_command("quote", search_options("test"))
    await running_bot.wait_for(lambda r: r.path == f"/webhooks/{APPLICATION_ID}/{token}")
    message = running_bot.messages[token]
    assert message["embeds"][0]["footer"]["text"].startswith("Hit 1 of ")
    buttons = button_ids(message)

    stranger = await running_bot.click(message, buttons["Next"], user_id="1100000000000000099")
    refused = await running_bot.wait_for(lambda r: r.path.endswith(f"/{stranger}/callback"))
    assert (refused.body["type"], refused.body["data"]["flags"]) == (4, 64)

    turn = await running_bot.click(message, buttons["Next"])
    update = await running_bot.wait_for(lambda r: r.path.endswith(f"/{turn}/callback"))
    assert update.body["type"] == 7  # the message itself is updated in place
    assert update.body["data"]["embeds"][0]["footer"]["text"].startswith("Hit 2 of ")


async def test_more_context_shows_the_neighbouring_lines_with_times(running_bot: FakeDiscord) -> None:
    token = await running_bot.slash_command("quote", search_options("fix the bugs before the users find them"))
    await running_bot.wait_for(lambda r: r.path == f"/webhooks/{APPLICATION_ID}/{token}")
    message = running_bot.messages[token]
    press = await running_bot.click(message, button_ids(message)["More context"])
    update = await running_bot.wait_for(lambda r: r.path.endswith(f"/{press}/callback"))
    description = update.body["data"]["embeds"][0]["description"]
    assert "`0:00` Ana Lopes: Welcome to Rewind Radio" in description  # two lines before the hit
    assert "**Thanks, Ana. My rule is simple" in description
    assert button_ids(update.body["data"])["Less context"]


async def test_episode_info_describes_one_episode(running_bot: FakeDiscord) -> None:
    token = await running_bot.slash_command(
        "episode", [{"name": "info", "type": 1, "options": [{"name": "episode", "type": 3, "value": "2"}]}]
    )
    reply = await running_bot.wait_for(lambda r: r.path.endswith(f"/{token}/callback"))
    (embed,) = reply.body["data"]["embeds"]
    assert embed["title"] == "Rewind Radio – Property-based testing"
    assert "2021-03-10 · #2" in embed["fields"][0]["value"]
    assert "Priya Raman" in embed["fields"][1]["value"]


async def test_episode_list_pages_newest_first(running_bot: FakeDiscord) -> None:
    token = await running_bot.slash_command("episode", [{"name": "list", "type": 1, "options": []}])
    reply = await running_bot.wait_for(lambda r: r.path.endswith(f"/{token}/callback"))
    (embed,) = reply.body["data"]["embeds"]
    lines = embed["description"].splitlines()
    assert lines[0].startswith("2021-03-10 · #2") and lines[1].startswith("2021-02-24 · #1")
    assert embed["footer"]["text"] == "Page 1 of 1 · 2 episodes"
