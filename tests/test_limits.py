"""What the bot renders stays within Discord's limits however long the material is."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.onthisday import Anniversary, DailyPost
from bot.summary import Chapter, Moment, Summary
from cogs.onthisday import post_messages
from ui.embeds import summary_embed

LONG = "word " * 3000 + "@everyone <@123456789012345678> **bold**"


def test_a_huge_summary_fits_one_embed() -> None:
    moments = tuple(Moment(LONG, 61.0 * i, "Ana " * 50, "https://example.com/a.mp3#t=1") for i in range(5))
    summary = Summary(
        1, LONG, 7, LONG, "2020-01-01", 3600.0, "https://example.com/a.mp3", ("Name " * 60,) * 40,
        moments, (LONG[:90],) * 10, tuple(Chapter(60.0 * i, LONG[:100]) for i in range(10)), moments, "transcript",
    )  # fmt: skip
    embed = summary_embed(summary)
    assert len(embed) <= 6000 and len(embed.title) <= 256 and len(embed.description) <= 4096
    assert len(embed.fields) <= 25 and all(len(f.value) <= 1024 and len(f.name) <= 256 for f in embed.fields)
    assert "@everyone" not in str(embed.to_dict()) and "<@123" not in str(embed.to_dict())


@pytest.mark.parametrize("episodes", [1, 9, 25])
def test_a_crowded_day_splits_into_messages_within_limits(episodes: int) -> None:
    entries = tuple(
        Anniversary(i, f"{i} {LONG}"[:300], i, "2019-12-11", "Show", 7, LONG, Moment(LONG, 5.0, None, None))
        for i in range(episodes)
    )
    messages = post_messages(DailyPost(dt.date(2026, 12, 11), "exact", entries))
    assert messages[0][0].startswith("📅 **On this day, December 11")
    assert all(len(content) <= 2000 for content, _ in messages)
    assert all(1 <= len(embeds) <= 10 and sum(len(e) for e in embeds) <= 6000 for _, embeds in messages)
    titles = [e.title for _, embeds in messages for e in embeds]
    assert [t.split()[2] for t in titles] == [str(i) for i in range(episodes)]  # every episode, in order


@pytest.mark.parametrize("stored", ["javascript:alert(1)", "see the show notes", "file:///etc/passwd"])
def test_a_stored_link_that_is_not_http_never_reaches_an_embed(stored: str) -> None:
    summary = Summary(1, "Show", 7, "Title", None, None, stored, (), (), (), (), (), "none")
    assert summary_embed(summary).url is None
