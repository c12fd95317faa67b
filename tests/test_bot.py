"""The bot object and its commands, built without connecting to Discord."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import discord
import pytest

from bot import render
from bot.client import EXTENSIONS, create_bot, explain
from bot.config import Settings
from bot.episodes import UnknownEpisode
from bot.errors import UserError
from bot.onthisday import parse_day
from bot.reindex import ReindexBusy
from bot.schedule import checked_timezone
from bot.search.engine import Hit
from bot.search.query import parse_query
from ui.embeds import hit_embed

NAME = re.compile(r"^[-_\w]{1,32}$")


def make_hit(**changes: object) -> Hit:
    values: dict[str, object] = {
        "episode_id": 1,
        "segment_id": 7,
        "show": "Alpha Cast",
        "title": "Slots",
        "number": 3,
        "published": "2020-02-15",
        "start_seconds": 3725.0,
        "speaker": "Ana",
        "text": "The dopamine loop.",
        "context_before": "Before.",
        "context_after": "After.",
        "url": "https://www.youtube.com/watch?v=abc&t=3725s",
        "source": "a.srt",
        "score": 99.0,
        "highlights": ((4, 12),),
    }
    values.update(changes)
    return Hit(**values)  # type: ignore[arg-type]


async def test_the_factory_builds_the_bot_and_its_commands_without_connecting(tmp_path: Path) -> None:
    bot = create_bot(Settings.from_mapping({"REWIND_DB": str(tmp_path / "r.db")}))
    for extension in EXTENSIONS:
        await bot.load_extension(extension)
    payloads = {command.name: command.to_dict(bot.tree) for command in bot.tree.get_commands()}
    assert set(payloads) == {"quote", "episode", "onthisday", "admin", "help"}
    assert {o["name"] for o in payloads["episode"]["options"]} == {"summary", "info", "list"}
    admin = {o["name"] for o in payloads["admin"]["options"]}
    assert admin == {"reindex", "status", "schedule", "sync", "feed", "announce", "upload"}
    assert {option["name"] for option in payloads["quote"]["options"]} == {"search", "random"}
    search = next(o for o in payloads["quote"]["options"] if o["name"] == "search")
    completed = {o["name"] for o in search["options"] if o.get("autocomplete")}
    assert completed == {"show", "speaker", "episode"}
    for payload in _walk(payloads.values()):
        assert NAME.match(payload["name"]) and payload["name"] == payload["name"].lower()
        assert 1 <= len(payload["description"]) <= 100
        assert len(payload.get("options", [])) <= 25
    await bot.close()


def _walk(payloads):
    for payload in payloads:
        yield payload
        yield from _walk(payload.get("options", []))


def test_a_hit_embed_fits_discords_limits_even_for_huge_lines() -> None:
    huge = "word " * 3000
    embed = hit_embed(make_hit(text=huge, context_before=huge, context_after=huge, title="T" * 400, highlights=()))
    assert len(embed.title) <= 256
    assert len(embed.description) <= 4096
    assert all(len(field.value) <= 1024 for field in embed.fields)
    assert len(embed) <= 6000


def test_a_hit_embed_shows_the_moment_and_links_it() -> None:
    embed = hit_embed(make_hit())
    assert embed.title == "Alpha Cast – Slots"
    assert "**Ana:** **The __dopamine__ loop.**" in embed.description
    assert [f.value for f in embed.fields] == [
        "#3 · 2020-02-15 · 1:02:05",
        "[1:02:05](https://www.youtube.com/watch?v=abc&t=3725s)",
    ]


@pytest.mark.parametrize(
    "hostile", ["@everyone look", "@here", "<@123456789012345678>", "<@&123456789012345678>", "<@!123456789012345678>"]
)
def test_quoted_text_cannot_ping_anyone(hostile: str) -> None:
    shown = render.quote_description(make_hit(text=hostile, highlights=()))
    assert not re.search(r"@(everyone|here)\b|<@[!&]?\d+>", shown)


def test_markdown_in_transcripts_is_shown_literally() -> None:
    shown = render.escape("**bold** `code` [link](http://x) ~~strike~~ > quote")
    assert "**bold**" not in shown and "`code`" not in shown and "](" not in shown


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("the quick brown fox jumps", 16, "the quick brown…"),
    ],
)
def test_clip_cuts_on_a_word_boundary(text: str, limit: int, expected: str) -> None:
    assert render.clip(text, limit) == expected
    assert len(render.clip(text, limit)) <= limit


def test_every_message_defaults_to_no_mentions(tmp_path: Path) -> None:
    bot = create_bot(Settings.from_mapping({"REWIND_DB": str(tmp_path / "r.db")}))
    assert bot.allowed_mentions.to_dict() == discord.AllowedMentions.none().to_dict()


def _raise(error: Exception) -> None:
    raise error


@pytest.mark.parametrize(
    "refuse",
    [
        lambda: parse_query("   "),
        lambda: parse_day("13-45", dt.date(2026, 1, 1)),
        lambda: checked_timezone("Mars/Olympus"),
        lambda: _raise(UnknownEpisode()),
        lambda: _raise(ReindexBusy("a reindex has been running since 10:00:00 UTC")),
    ],
)
def test_a_refusal_reaches_the_member_in_its_own_words(refuse: Callable[[], object]) -> None:
    with pytest.raises(UserError) as refused:
        refuse()
    assert explain(refused.value) == str(refused.value) != ""


def test_an_unexpected_error_shows_an_id_not_its_text() -> None:
    shown = explain(ValueError("/srv/secret/path is broken"))
    assert "error id" in shown and "secret" not in shown
