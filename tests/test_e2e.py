"""The real discord.py client, pointed at a local fake Discord, answering slash commands."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import json
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yarl
from aiohttp.test_utils import TestServer
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.client import RewindBot, create_bot
from bot.config import Settings
from bot.schedule import DailyPoster
from models.clock import Clock, utc_now
from storage import Store
from tests.conftest import SAMPLE, needs_shared
from tests.discord_schema import SPEC, limit_errors, request_errors
from tests.fake_discord import APPLICATION_ID, CHANNEL, CHANNEL_ID, GUILD_ID, MANAGE_GUILD, MEMBER_ID, FakeDiscord
from tests.test_cli import ONLY_COMMON_WORDS

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
    for recorded in fake.requests:  # every body the bot sent keeps Discord's limits...
        assert limit_errors(recorded.body) == [], recorded
    if SPEC.is_file():  # ...and matches Discord's own API description
        for recorded in fake.requests:
            assert request_errors(recorded.method, recorded.path, recorded.body) == [], recorded


def settings_for(tmp_path: Path) -> Settings:
    return Settings.from_mapping(
        {
            "DISCORD_TOKEN": TOKEN,
            "REWIND_DB": str(tmp_path / "rewind.db"),
            "TRANSCRIPT_DIRS": str(SAMPLE),
            "INDEX_WORKERS": "1",
        }
    )


@contextlib.asynccontextmanager
async def serving(fake: FakeDiscord, settings: Settings, *, clock: Clock = utc_now) -> AsyncIterator[RewindBot]:
    """The real bot connected to the fake Discord, with its start-up index done."""
    fake.identified.clear()
    bot = create_bot(settings, clock=clock)
    task = asyncio.create_task(bot.start(TOKEN))
    await asyncio.wait_for(fake.identified.wait(), 30)
    if bot._indexing is not None:
        await asyncio.wait_for(asyncio.shield(bot._indexing), 60)
    try:
        yield bot
    finally:
        await bot.close()
        await asyncio.wait_for(task, 30)


@pytest.fixture
async def running_bot(discord_server: FakeDiscord, tmp_path: Path) -> AsyncIterator[FakeDiscord]:
    async with serving(discord_server, settings_for(tmp_path)):
        yield discord_server


async def test_commands_are_synced_with_valid_names(running_bot: FakeDiscord) -> None:
    sync = await running_bot.wait_for(lambda r: r.method == "PUT" and r.path.endswith("/commands"))
    assert sync.path == f"/applications/{APPLICATION_ID}/commands"
    commands = {command["name"]: command for command in sync.body}
    assert set(commands) == {"quote", "episode", "onthisday", "admin", "help"}
    assert str(commands["admin"]["default_member_permissions"]) == MANAGE_GUILD  # hidden from ordinary members
    assert commands["admin"]["contexts"] == [0]  # guild only
    assert all(command["default_member_permissions"] is None for name, command in commands.items() if name != "admin")


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
    reply = await callback_of(running_bot, token)  # refused before deferring
    assert "too long" in reply.body["data"]["content"]
    assert running_bot.public(token) == []  # as Discord shows it, not as the bot flagged it


async def test_mentions_in_a_query_ping_nobody(running_bot: FakeDiscord) -> None:
    token = await running_bot.slash_command("quote", search_options("@everyone <@1100000000000000005> roll back"))
    followup = await running_bot.wait_for(lambda r: r.path == f"/webhooks/{APPLICATION_ID}/{token}")
    assert followup.body["allowed_mentions"] == {"parse": []}
    assert "@everyone" not in json.dumps(followup.body)


async def test_a_query_of_stop_words_is_explained_not_failed(running_bot: FakeDiscord) -> None:
    token = await running_bot.slash_command("quote", search_options("!!! ???"))
    reply = await callback_of(running_bot, token)
    assert "Type a few words" in reply.body["data"]["content"]
    assert running_bot.public(token) == []


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


def subcommand(name: str, **options: object) -> list[dict[str, object]]:
    types = {str: 3, int: 4, bool: 5}
    return [
        {
            "name": name,
            "type": 1,
            "options": [{"name": k, "type": types[type(v)], "value": v} for k, v in options.items()],
        }
    ]


def callback_of(fake: FakeDiscord, token: str):
    return fake.wait_for(lambda r: r.path.endswith(f"/{token}/callback"))


def followup_of(fake: FakeDiscord, token: str):
    return fake.wait_for(lambda r: r.method == "POST" and r.path == f"/webhooks/{APPLICATION_ID}/{token}")


async def test_commands_are_not_synced_again_when_unchanged(discord_server: FakeDiscord, tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    for _ in range(2):
        async with serving(discord_server, settings):
            pass
    syncs = [r for r in discord_server.requests if r.method == "PUT" and r.path.endswith("/commands")]
    assert len(syncs) == 1


async def test_episode_summary_defers_then_shows_gist_keywords_and_quotes(running_bot: FakeDiscord) -> None:
    token = await running_bot.slash_command("episode", subcommand("summary", episode="Shipping software"))
    assert (await callback_of(running_bot, token)).body["type"] == 5
    (embed,) = (await followup_of(running_bot, token)).body["embeds"]
    assert embed["title"] == "Rewind Radio – Shipping software"
    assert "`0:" in embed["description"]  # each gist sentence with its time
    assert {field["name"] for field in embed["fields"]} >= {"Episode", "Speakers", "Keywords"}


async def test_episode_autocomplete_offers_at_most_25_short_choices(running_bot: FakeDiscord) -> None:
    options = [
        {"name": "summary", "type": 1, "options": [{"name": "episode", "type": 3, "value": "test", "focused": True}]}
    ]
    token = await running_bot.autocomplete("episode", options)
    reply = await callback_of(running_bot, token)
    assert reply.body["type"] == 8
    choices = reply.body["data"]["choices"]
    assert 1 <= len(choices) <= 25
    assert all(len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in choices)
    assert choices[0]["name"].endswith("Property-based testing") or "testing" in choices[0]["name"]


async def test_onthisday_previews_the_post_for_a_date(running_bot: FakeDiscord) -> None:
    token = await running_bot.slash_command("onthisday", [{"name": "date", "type": 3, "value": "03-10"}])
    followup = await followup_of(running_bot, token)
    assert followup.body["content"].startswith("📅 **On this day, March 10")
    (embed,) = followup.body["embeds"]
    assert embed["title"] == "Rewind Radio – Property-based testing"
    assert "years ago" in embed["description"]
    assert followup.body["allowed_mentions"] == {"parse": []}


async def test_a_member_without_manage_server_cannot_run_admin_commands(running_bot: FakeDiscord) -> None:
    for options in (subcommand("status"), subcommand("reindex"), subcommand("sync")):
        token = await running_bot.slash_command("admin", options, permissions="0")
        reply = await callback_of(running_bot, token)
        assert (reply.body["type"], reply.body["data"]["flags"]) == (4, 64)
        assert "Manage Server" in reply.body["data"]["content"]


async def test_admin_status_shows_the_index(running_bot: FakeDiscord) -> None:
    token = await running_bot.slash_command("admin", subcommand("status"), permissions=MANAGE_GUILD)
    reply = await callback_of(running_bot, token)
    (embed,) = reply.body["data"]["embeds"]
    fields = {field["name"]: field["value"] for field in embed["fields"]}
    assert fields["Index"].startswith("1 shows · 2 episodes")
    assert fields["Reindex"].startswith("Finished")
    assert fields["Daily post"] == "Not set up: use `/admin schedule`."


async def test_admin_reindex_defers_then_edits_one_message_with_progress_and_report(running_bot: FakeDiscord) -> None:
    token = await running_bot.slash_command("admin", subcommand("reindex", full=True), permissions=MANAGE_GUILD)
    deferred = await callback_of(running_bot, token)
    assert (deferred.body["type"], deferred.body["data"]["flags"]) == (5, 64)
    original = f"/webhooks/{APPLICATION_ID}/{token}/messages/@original"
    report = await running_bot.wait_for(lambda r: r.path == original and "Reindexed" in r.body["content"])
    assert "3 files" in report.body["content"] and "3 indexed" in report.body["content"]  # full: read again
    edits = [r for r in running_bot.requests if r.path == original]
    assert all(r.method == "PATCH" for r in edits)
    shown = [r.body["content"] for r in edits]
    assert shown[0] == "Looking for files…" and shown[-1] == report.body["content"]
    progress = shown[1:-1]  # the job's row as it was read: waiting, then the files meter
    assert all(text.startswith(("Waiting for the indexer", "Reindexing: `", "Looking")) for text in progress)


async def test_admin_reindex_while_one_is_open_says_so_and_enqueues_nothing(
    running_bot: FakeDiscord, tmp_path: Path
) -> None:
    store = await Store.open(tmp_path / "rewind.db")
    try:
        open_job, made = await store.jobs.enqueue("full", "another admin")
        assert made
        token = await running_bot.slash_command("admin", subcommand("reindex"), permissions=MANAGE_GUILD)
        original = f"/webhooks/{APPLICATION_ID}/{token}/messages/@original"
        refused = await running_bot.wait_for(lambda r: r.path == original and "Not started" in r.body["content"])
        assert "a reindex is already" in refused.body["content"] and "another admin" in refused.body["content"]
        assert [j.id for j in await store.jobs.recent_jobs(5) if j.requested_by != "start-up"] == [open_job.id]
    finally:
        await store.close()


async def test_admin_schedule_then_the_daily_post_lands_in_the_channel(
    discord_server: FakeDiscord, tmp_path: Path
) -> None:
    at_nine = dt.datetime(2026, 3, 10, 9, 0, 30, tzinfo=dt.UTC)
    async with serving(discord_server, settings_for(tmp_path), clock=lambda: at_nine):
        resolved = {"channels": {CHANNEL_ID: {**CHANNEL, "permissions": "84992"}}}
        options = subcommand("schedule", hour=9, timezone="Europe/Londn")
        options[0]["options"].insert(0, {"name": "channel", "type": 7, "value": CHANNEL_ID})
        token = await discord_server.slash_command("admin", options, permissions=MANAGE_GUILD, resolved=resolved)
        assert "not a timezone" in (await callback_of(discord_server, token)).body["data"]["content"]
        options[0]["options"][2]["value"] = "UTC"
        token = await discord_server.slash_command("admin", options, permissions=MANAGE_GUILD, resolved=resolved)
        assert "Daily posts go to" in (await callback_of(discord_server, token)).body["data"]["content"]
        store = await Store.open(tmp_path / "rewind.db")
        try:
            assert (await store.schedule(int(GUILD_ID))).hour == 9
        finally:
            await store.close()
    # The next start finds the schedule due: the loop's first tick posts.
    async with serving(discord_server, settings_for(tmp_path), clock=lambda: at_nine):
        posted = await discord_server.wait_for(lambda r: r.path == f"/channels/{CHANNEL_ID}/messages")
    assert posted.body["content"].startswith("📅 **On this day, March 10")
    assert posted.body["embeds"][0]["title"] == "Rewind Radio – Property-based testing"
    assert posted.body["allowed_mentions"] == {"parse": []}
    assert len([r for r in discord_server.requests if r.path == f"/channels/{CHANNEL_ID}/messages"]) == 1


async def test_paging_buttons_keep_working_after_a_restart(discord_server: FakeDiscord, tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    async with serving(discord_server, settings):
        token = await discord_server.slash_command("quote", search_options("test"))
        await followup_of(discord_server, token)
    message = discord_server.messages[token]
    async with serving(discord_server, settings):  # a new process: nothing in memory
        press = await discord_server.click(message, button_ids(message)["Next"])
        update = await callback_of(discord_server, press)
    assert update.body["type"] == 7
    assert update.body["data"]["embeds"][0]["footer"]["text"].startswith("Hit 2 of ")


async def test_a_private_answer_can_be_posted_to_the_channel(running_bot: FakeDiscord) -> None:
    options = search_options("roll back fast")
    options[0]["options"].append({"name": "private", "type": 5, "value": True})
    token = await running_bot.slash_command("quote", options)
    await followup_of(running_bot, token)
    assert running_bot.public(token) == []
    message = running_bot.messages[token]
    press = await running_bot.click(message, button_ids(message)["Post to channel"])
    posted = await callback_of(running_bot, press)
    assert posted.body["type"] == 4 and not posted.body["data"].get("flags")
    assert posted.body["data"]["embeds"][0]["title"] == "Rewind Radio – Shipping software"


async def test_markdown_in_transcripts_and_queries_is_shown_as_text(running_bot: FakeDiscord) -> None:
    token = await running_bot.slash_command("quote", search_options("**roll** back `fast` ||now||"))
    followup = await followup_of(running_bot, token)
    description = followup.body["embeds"][0]["description"]
    assert "||" not in description and "`" not in description.replace("\\`", "")


async def test_searching_too_often_gets_a_cooldown_message(running_bot: FakeDiscord) -> None:
    tokens = [await running_bot.slash_command("quote", search_options("roll back fast")) for _ in range(4)]
    replies = [await callback_of(running_bot, t) for t in tokens]
    assert [r.body["type"] for r in replies[:3]] == [5, 5, 5]
    assert replies[3].body["type"] == 4 and "Slow down" in replies[3].body["data"]["content"]


def test_the_limit_check_catches_an_oversized_message() -> None:
    body = {"content": "x" * 2001, "embeds": [{"title": "t" * 257, "description": "d" * 4000}] * 2}
    errors = limit_errors(body)
    assert "content over 2000 characters" in errors and "embeds over 6000 characters together" in errors
    assert "embed title over 256" in errors and "a message without allowed_mentions none" in errors


async def test_a_reindex_whose_indexing_process_is_killed_tells_the_admin_and_the_index_serves(
    running_bot: FakeDiscord, tmp_path: Path
) -> None:
    token = await running_bot.slash_command("admin", subcommand("reindex", full=True), permissions=MANAGE_GUILD)
    watcher = await Store.open(tmp_path / "rewind.db")
    try:
        deadline = time.monotonic() + 60
        while not (running := [j for j in await watcher.jobs.recent_jobs(1) if j.status == "running"]):
            assert time.monotonic() < deadline, "the reindex never started"
            await asyncio.sleep(0.01)
    finally:
        await watcher.close()
    pid = int(running[0].runner.split()[1])
    os.kill(pid, signal.SIGKILL)
    original = f"/webhooks/{APPLICATION_ID}/{token}/messages/@original"
    failed = await running_bot.wait_for(lambda r: r.path == original and "failed" in r.body["content"])
    assert f"the indexing process {pid} was killed by SIGKILL" in failed.body["content"]
    assert "The previous index is still searchable" in failed.body["content"]
    status = await running_bot.slash_command("admin", subcommand("status"), permissions=MANAGE_GUILD)
    fields = {
        f["name"]: f["value"] for f in (await callback_of(running_bot, status)).body["data"]["embeds"][0]["fields"]
    }
    assert "killed by SIGKILL" in fields["Reindex"]
    assert fields["Index"].startswith("1 shows · 2 episodes")  # the previous index still serves
    token = await running_bot.slash_command("quote", search_options("roll back fast"))
    assert "Sam Okafor" in (await followup_of(running_bot, token)).body["embeds"][0]["description"]


async def test_a_dev_guild_gets_its_commands_at_once_and_admins_can_sync_again(
    discord_server: FakeDiscord, tmp_path: Path
) -> None:
    settings = dataclasses.replace(settings_for(tmp_path), dev_guild_id=int(GUILD_ID))
    async with serving(discord_server, settings):
        guild_commands = f"/applications/{APPLICATION_ID}/guilds/{GUILD_ID}/commands"
        first = await discord_server.wait_for(lambda r: r.method == "PUT" and r.path.endswith("/commands"))
        assert first.path == guild_commands
        token = await discord_server.slash_command("admin", subcommand("sync"), permissions=MANAGE_GUILD)
        done = await followup_of(discord_server, token)
        assert done.body["content"] == "Synced 5 slash commands." and discord_server.public(token) == []
    syncs = [r for r in discord_server.requests if r.method == "PUT" and r.path == guild_commands]
    assert len(syncs) == 2  # start-up, then the forced one


def private_answer(fake: FakeDiscord, token: str, text: str):
    """Wait for the interaction's latest message to say `text`; it must be seen by the member alone."""
    return fake.wait_for(
        lambda r: r.method == "POST" and r.path == f"/webhooks/{APPLICATION_ID}/{token}" and text in r.body["content"]
    )


async def test_a_search_without_hits_answers_only_the_member(running_bot: FakeDiscord) -> None:
    options = search_options("roll back fast")
    options[0]["options"].append({"name": "show", "type": 3, "value": "No such show"})
    token = await running_bot.slash_command("quote", options)
    await private_answer(running_bot, token, "No matching quote")
    assert running_bot.public(token) == []  # the public "thinking…" placeholder is gone too
    assert running_bot.messages[token]["flags"] & 64


async def test_a_query_known_unsearchable_only_after_deferring_answers_only_the_member(
    running_bot: FakeDiscord,
) -> None:
    token = await running_bot.slash_command("quote", search_options("zebra xylophone quasar"))
    await private_answer(running_bot, token, "None of those words")
    assert running_bot.public(token) == []


async def test_an_unknown_episode_summary_answers_only_the_member(running_bot: FakeDiscord) -> None:
    token = await running_bot.slash_command("episode", subcommand("summary", episode="no such episode at all"))
    assert (await callback_of(running_bot, token)).body["data"]["flags"] == 64  # refused before deferring
    assert "No episode by that name" in (await callback_of(running_bot, token)).body["data"]["content"]
    assert running_bot.public(token) == []


async def test_onthisday_with_nothing_to_show_answers_only_the_member(
    discord_server: FakeDiscord, tmp_path: Path
) -> None:
    settings = dataclasses.replace(settings_for(tmp_path), onthisday_fallbacks=())
    async with serving(discord_server, settings):
        token = await discord_server.slash_command("onthisday", [{"name": "date", "type": 3, "value": "07-04"}])
        await private_answer(discord_server, token, "Nothing came out on July 4")
    assert discord_server.public(token) == []


async def test_a_failing_search_answers_only_the_member_with_an_error_id(
    running_bot: FakeDiscord, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk unplugged")

    monkeypatch.setattr("storage.Store.candidates", broken)
    token = await running_bot.slash_command("quote", search_options("roll back fast"))
    failed = await private_answer(running_bot, token, "error id")
    incident = failed.body["content"].split("`")[1]
    assert running_bot.public(token) == []
    assert any(incident in record.getMessage() and record.exc_info for record in caplog.records)


async def test_a_failing_button_goes_through_the_error_funnel(
    running_bot: FakeDiscord, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    token = await running_bot.slash_command("quote", search_options("fix the bugs before the users find them"))
    await followup_of(running_bot, token)
    message = running_bot.messages[token]

    async def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk unplugged")

    monkeypatch.setattr("storage.Store.pager", broken)
    press = await running_bot.click(message, button_ids(message)["More context"])
    reply = await callback_of(running_bot, press)
    assert (reply.body["type"], reply.body["data"]["flags"]) == (4, 64)
    incident = reply.body["data"]["content"].split("`")[1]
    assert any(incident in record.getMessage() and record.exc_info for record in caplog.records)


async def test_a_failing_summary_button_goes_through_the_error_funnel(
    running_bot: FakeDiscord, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    token = await running_bot.slash_command("quote", search_options("fix the bugs before the users find them"))
    await followup_of(running_bot, token)
    summary_button = {"type": 2, "style": 2, "label": "Summary", "custom_id": "rws:1"}
    announcement = {**running_bot.messages[token], "components": [{"type": 1, "components": [summary_button]}]}

    async def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk unplugged")

    monkeypatch.setattr("storage.feeds.FeedStore.item_episode", broken)
    press = await running_bot.click(announcement, "rws:1")
    failed = await private_answer(running_bot, press, "error id")
    incident = failed.body["content"].split("`")[1]
    assert failed.body["flags"] & 64
    assert any(incident in record.getMessage() and record.exc_info for record in caplog.records)


async def test_the_bot_asks_discord_for_guild_events_only(running_bot: FakeDiscord) -> None:
    assert running_bot.intents == 1  # GUILDS: no messages, typing or presence of any server


OTHER_ADMIN = "1100000000000000077"  # Manage Server in the test server, but not the application's owner


async def test_bot_wide_admin_actions_are_kept_to_the_owner(running_bot: FakeDiscord) -> None:
    for options in (subcommand("reindex"), subcommand("sync")):
        token = await running_bot.slash_command("admin", options, permissions=MANAGE_GUILD, user_id=OTHER_ADMIN)
        reply = await callback_of(running_bot, token)
        assert (reply.body["type"], reply.body["data"]["flags"]) == (4, 64)
        assert "only the bot's owner" in reply.body["data"]["content"]
    token = await running_bot.slash_command(
        "admin", subcommand("status"), permissions=MANAGE_GUILD, user_id=OTHER_ADMIN
    )
    assert (await callback_of(running_bot, token)).body["data"]["embeds"][0]["title"] == "Rewind status"


async def test_the_admin_server_may_run_bot_wide_actions(discord_server: FakeDiscord, tmp_path: Path) -> None:
    settings = dataclasses.replace(settings_for(tmp_path), admin_guild_id=int(GUILD_ID))
    async with serving(discord_server, settings):
        token = await discord_server.slash_command(
            "admin", subcommand("sync"), permissions=MANAGE_GUILD, user_id=OTHER_ADMIN
        )
        done = await followup_of(discord_server, token)
    assert done.body["content"] == "Synced 5 slash commands."


def write_episodes(folder: Path, titles: list[str], *, date: str = "2020-03-10", lines: int = 2) -> Path:
    """One small front-matter transcript an episode, all of one show and one date."""
    folder.mkdir(parents=True, exist_ok=True)
    for number, title in enumerate(titles, 1):
        body = "\n\n".join(
            f"00:{i // 6:02}:{i % 6 * 9:02} {'Host' if i % 2 else 'Guest'}: In episode {number} line {i} we talk"
            f" about {title.lower()} and why it matters to people who build software every day."
            for i in range(lines)
        )
        header = f"---\npodcast: Darknet Diaries\nepisode: {number}\ntitle: {title}\n"
        (folder / f"ep-{number:03}.txt").write_text(f"{header}date: {date}\n---\n{body}\n", encoding="utf-8")
    return folder


async def test_episode_autocomplete_puts_the_best_title_matches_first(
    discord_server: FakeDiscord, tmp_path: Path
) -> None:
    # Long titles for the meant episodes, short ones sharing letters with the query for the rest:
    # scored against the whole "Show · #N · Title" label, the short ones won.
    titles = [f"Side quest {i}" for i in range(23)]
    titles[15:15] = [
        "The dark side of caching: stories from the people who were there",
        "Back to the dark side: more stories from the people who were there",
    ]
    folder = write_episodes(tmp_path / "show", titles)
    settings = dataclasses.replace(settings_for(tmp_path), transcript_dirs=(folder,))
    async with serving(discord_server, settings):
        options = [
            {
                "name": "info",
                "type": 1,
                "options": [{"name": "episode", "type": 3, "value": "dark side", "focused": True}],
            }
        ]
        token = await discord_server.autocomplete("episode", options)
        names = [c["name"] for c in (await callback_of(discord_server, token)).body["data"]["choices"]]
        assert {name.split(" · ")[1] for name in names[:2]} == {"#16", "#17"}
        token = await discord_server.autocomplete(
            "episode", [{**options[0], "options": [{**options[0]["options"][0], "value": "#17"}]}]
        )
        names = [c["name"] for c in (await callback_of(discord_server, token)).body["data"]["choices"]]
        assert names[0].split(" · ")[1] == "#17"


async def test_more_context_on_an_older_message_works_after_a_full_reindex(
    discord_server: FakeDiscord, tmp_path: Path
) -> None:
    async with serving(discord_server, settings_for(tmp_path)) as bot:
        token = await discord_server.slash_command("quote", search_options("fix the bugs before the users find them"))
        await followup_of(discord_server, token)
        message = discord_server.messages[token]
        await bot.reindexer.run(full=True)  # every segment is written anew
        press = await discord_server.click(message, button_ids(message)["More context"])
        update = await callback_of(discord_server, press)
    description = update.body["data"]["embeds"][0]["description"]
    assert "`0:00` Ana Lopes: Welcome to Rewind Radio" in description
    assert "**Thanks, Ana. My rule is simple" in description


async def test_a_button_of_an_older_pager_shape_expires_politely(running_bot: FakeDiscord, tmp_path: Path) -> None:
    token = await running_bot.slash_command("quote", search_options("roll back fast"))
    await followup_of(running_bot, token)
    message = running_bot.messages[token]
    store = await Store.open(tmp_path / "rewind.db")
    try:  # as a bot from before the payload's version stored it: a Hit field it no longer has
        old = json.dumps([{"segment_id": 1, "retired_field": 1}])
        pager = await store.save_pager(int(MEMBER_ID), "hits", old)
    finally:
        await store.close()
    custom_id = f"rw:{pager}:next:1:0"
    stale = {
        **message,
        "components": [{"type": 1, "components": [{"type": 2, "style": 2, "label": "Next", "custom_id": custom_id}]}],
    }
    press = await running_bot.click(stale, custom_id)
    reply = await callback_of(running_bot, press)
    assert (reply.body["type"], reply.body["data"]["flags"]) == (4, 64)
    assert "expired" in reply.body["data"]["content"]


async def test_a_daily_post_that_fails_midway_is_never_posted_twice(
    discord_server: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Four episodes on March 10, two embeds a message (a long post splits the same way at 10).
    monkeypatch.setattr("bot.limits.EMBEDS_PER_MESSAGE", 2)
    folder = write_episodes(tmp_path / "show", [f"Shipping story {n}" for n in range(1, 5)])
    settings = dataclasses.replace(settings_for(tmp_path), transcript_dirs=(folder,))
    discord_server.unavailable_for = {2}  # the second message of the post meets a passing outage
    at_nine = dt.datetime(2026, 3, 10, 9, 0, 30, tzinfo=dt.UTC)
    async with serving(discord_server, settings, clock=lambda: at_nine) as bot:
        cog = bot.get_cog("OnThisDay")
        cog.daily.cancel()  # this test ticks by itself: the first tick, then the next minute's
        await bot.store.save_schedule(int(GUILD_ID), int(CHANNEL_ID), 9, "UTC", True)
        poster = DailyPoster(bot.store, bot.summaries, cog.deliver, clock=lambda: at_nine)
        await poster.tick()
        await poster.tick()
        schedule = await bot.store.schedule(int(GUILD_ID))
    headings = [m for m in discord_server.channel_messages if (m["content"] or "").startswith("📅")]
    assert len(headings) == 1
    assert schedule.last_posted == "2026-03-10"
    assert "1 of 2" in (schedule.last_error or "")


async def test_a_query_of_only_common_words_is_explained_as_the_cli_does(running_bot: FakeDiscord) -> None:
    token = await running_bot.slash_command("quote", search_options("and the of it is"))
    reply = await callback_of(running_bot, token)  # refused before anything is posted
    assert reply.body["data"]["content"] == ONLY_COMMON_WORDS
    assert running_bot.public(token) == []
