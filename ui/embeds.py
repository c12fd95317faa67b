"""Embeds the cogs share: a quote, an episode's summary; all within Discord's limits."""

from __future__ import annotations

import discord

from bot import limits, render
from bot.search.engine import Hit
from bot.search.links import deep_link
from bot.summary import Summary

NO_MENTIONS = discord.AllowedMentions.none()  # quoted text never pings


def hit_embed(hit: Hit) -> discord.Embed:
    """One hit as an embed, within Discord's limits, linking to the moment when it can."""
    embed = discord.Embed(title=render.hit_title(hit), description=render.quote_description(hit), url=hit.url)
    embed.add_field(name="Episode", value=render.episode_line(hit), inline=True)
    if hit.url and hit.start_seconds is not None:
        moment = f"[{render.timestamp(hit.start_seconds)}]({hit.url})"
        embed.add_field(name="Listen", value=limits.clip(moment, limits.FIELD_VALUE_LIMIT), inline=True)
    return embed


def within_limits(embed: discord.Embed) -> discord.Embed:
    """Trim the description so the whole embed stays within Discord's 6000 characters."""
    excess = len(embed) - limits.EMBED_TOTAL_LIMIT
    if excess > 0 and embed.description:
        embed.description = limits.clip(embed.description, max(1, len(embed.description) - excess))
    return embed


def summary_embed(summary: Summary) -> discord.Embed:
    """A summary as an embed: gist, facts, keywords, chapters and quotes, within Discord's limits."""
    embed = discord.Embed(
        title=render.titled(summary.show, summary.title),
        description=render.summary_description(summary),
        url=deep_link(summary.url, None),  # a link stored by an older version is checked again
    )
    embed.add_field(name="Episode", value=render.summary_facts(summary), inline=True)
    if summary.speakers:
        names = ", ".join(render.escape(s) for s in summary.speakers)
        embed.add_field(name="Speakers", value=limits.clip(names, limits.FIELD_VALUE_LIMIT), inline=True)
    if summary.keywords:
        words = ", ".join(render.escape(k) for k in summary.keywords)
        embed.add_field(name="Keywords", value=limits.clip(words, limits.FIELD_VALUE_LIMIT), inline=False)
    if summary.chapters:
        embed.add_field(name="Chapters", value=render.chapter_lines(summary), inline=False)
    if summary.quotes:
        embed.add_field(name="Quotes", value=render.quote_lines(summary), inline=False)
    return within_limits(embed)
