"""The feed poller and the new-episode posts, with their button to the episode's summary."""

from __future__ import annotations

import contextlib
import functools
import logging
from typing import Any

import discord
from discord.ext import commands, tasks

from bot import limits, render
from bot.announce import Announcement, Announcer
from bot.client import RewindBot
from bot.feeds import FeedError, PollReport
from bot.search.links import deep_link
from ui.delivery import delivering
from ui.embeds import NO_MENTIONS, summary_embed
from ui.replies import funnelled

log = logging.getLogger(__name__)

TICK_SECONDS = 60.0  # feeds are due every FEED_POLL_MINUTES; the loop looks a minute at a time


class SummaryButton(discord.ui.DynamicItem[discord.ui.Button], template=r"rws:(?P<item>\d+)"):
    """Shows a feed item's episode summary to whoever presses it; works after a restart and a reindex."""

    def __init__(self, item_id: int) -> None:
        self.item_id = item_id
        super().__init__(
            discord.ui.Button(
                label="Summary", emoji="📝", style=discord.ButtonStyle.secondary, custom_id=f"rws:{item_id}"
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: Any
    ) -> SummaryButton:
        return cls(int(match["item"]))

    @funnelled
    async def callback(self, interaction: discord.Interaction) -> None:
        bot: RewindBot = interaction.client  # type: ignore[assignment]
        await interaction.response.defer(thinking=True, ephemeral=True)  # a first summary takes a moment
        episode_id = await bot.store.feeds.item_episode(self.item_id)
        made = await bot.summaries.summary(episode_id) if episode_id is not None else None
        if made is None:
            await interaction.followup.send("That episode is no longer in the index.", ephemeral=True)
            return
        await interaction.followup.send(embed=summary_embed(made), ephemeral=True, allowed_mentions=NO_MENTIONS)


def announcement_embed(post: Announcement) -> discord.Embed:
    """A new episode as an embed: title, date, one line about it, and its link."""
    embed = discord.Embed(
        title=limits.clip(render.titled(post.show, post.title), 256),
        description=limits.clip(render.escape(post.summary), 1000) if post.summary else None,
        url=deep_link(post.url, None),
    )
    if post.published:
        embed.add_field(name="Published", value=post.published)
    return embed


class Feeds(commands.Cog):
    """Polls the followed feeds and announces their new episodes."""

    def __init__(self, bot: RewindBot) -> None:
        self.bot = bot
        self._announce_pending = True  # once at start-up: posts a restart interrupted

    @functools.cached_property
    def announcer(self) -> Announcer:
        return Announcer(self.bot.store, self.bot.summaries, self.deliver)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(SummaryButton)
        self.rounds.start()

    async def cog_unload(self) -> None:
        self.rounds.cancel()

    @tasks.loop(seconds=TICK_SECONDS)
    async def rounds(self) -> None:
        try:
            await self.round()
        except Exception:  # one bad round must not stop the next
            log.exception("the feed loop failed; trying again in %.0f s", TICK_SECONDS)

    @rounds.before_loop
    async def _ready(self) -> None:
        await self.bot.wait_until_ready()
        for url in self.bot.settings.feeds:
            with contextlib.suppress(FeedError):  # followed already
                await self.bot.follower.add(url)

    async def round(self) -> list[PollReport]:
        """Poll the feeds that are due, then post what they brought."""
        reports = await self.bot.follower.poll_all(due_only=True)
        await self.announce_if_new(reports)
        return reports

    async def announce_if_new(self, reports: list[PollReport]) -> None:
        """Post pending episodes when a poll found any, or when asked to (start-up, a new channel)."""
        if self._announce_pending or any(r.new_episodes or r.transcripts_fetched for r in reports):
            self._announce_pending = False
            await self.announcer.tick()

    async def deliver(self, channel_id: int, post: Announcement) -> None:
        """Send one new-episode post; DeliveryError says why it could not go out."""
        view = discord.ui.View(timeout=None)
        view.add_item(SummaryButton(post.item_id))
        async with delivering(self.bot, channel_id) as channel:
            await channel.send(embed=announcement_embed(post), view=view, allowed_mentions=NO_MENTIONS)


async def setup(bot: RewindBot) -> None:
    await bot.add_cog(Feeds(bot))
