"""`/onthisday` and the daily post to each server's chosen channel."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot import limits, render
from bot.client import RewindBot
from bot.onthisday import DailyPost, build_post, parse_day
from bot.schedule import DailyPoster, DeliveryError, Sent, local_date
from ui.delivery import delivering, send_once
from ui.embeds import NO_MENTIONS
from ui.replies import reply_privately

log = logging.getLogger(__name__)

TICK_SECONDS = 60.0


def post_messages(post: DailyPost) -> list[tuple[str, list[discord.Embed]]]:
    """The post as messages: a heading, then one embed an episode, at most 10 embeds and 6000
    embed characters a message (Discord's limits), split between episodes, never inside one."""
    embeds = [
        discord.Embed(
            title=render.titled(entry.show, entry.title),
            description=render.anniversary_description(entry),
            url=entry.highlight.url if entry.highlight and entry.highlight.url else None,
        )
        for entry in post.episodes
    ]
    messages: list[tuple[str, list[discord.Embed]]] = []
    batch: list[discord.Embed] = []
    for embed in embeds:
        size = sum(len(e) for e in batch) + len(embed)
        if batch and (len(batch) == limits.EMBEDS_PER_MESSAGE or size > limits.EMBED_TOTAL_LIMIT):
            messages.append(("", batch))
            batch = []
        batch.append(embed)
    messages.append(("", batch))
    heading = f"📅 **{render.daily_heading(post)}**"
    messages[0] = (heading, messages[0][1])
    return messages


def post_nonce(channel_id: int, post: DailyPost) -> str:
    """The same for every attempt at one channel's post of one date: 25 characters at most."""
    return f"{post.day:%Y%m%d}{channel_id:x}"[:25]


class OnThisDay(commands.Cog):
    """What came out on this day, on demand and every day at each server's hour."""

    def __init__(self, bot: RewindBot) -> None:
        self.bot = bot
        self.poster: DailyPoster | None = None  # made at the first tick: the store opens at start-up

    async def cog_load(self) -> None:
        self.daily.start()

    async def cog_unload(self) -> None:
        self.daily.cancel()

    @tasks.loop(seconds=TICK_SECONDS)
    async def daily(self) -> None:
        if self.poster is None:
            settings = self.bot.settings
            self.poster = DailyPoster(
                self.bot.store,
                self.bot.summaries,
                self.deliver,
                clock=self.bot.clock,
                fallbacks=settings.onthisday_fallbacks,
                shards=self.bot.shards_run,
            )
        try:
            await self.poster.tick()
        except Exception:  # one bad tick must not stop tomorrow's posts
            log.exception("the daily post loop failed; trying again in %.0f s", TICK_SECONDS)

    @daily.before_loop
    async def _ready(self) -> None:
        await self.bot.wait_until_ready()

    async def deliver(self, channel_id: int, post: DailyPost, first_sent: Sent) -> None:
        """Send the post to a channel; say whether a failure is worth retrying today.

        The first message carries a nonce made of the channel and the date, so a process that sends
        it again after a crash gets the one already there. A post that failed after its first
        message is in the channel counts as sent: trying again would post the heading twice.
        """
        messages, sent = post_messages(post), 0
        try:
            async with delivering(self.bot, channel_id) as channel:
                (content, embeds), *rest = messages
                await first_sent(await send_once(self.bot, channel_id, post_nonce(channel_id, post), content, embeds))
                sent += 1
                for content, embeds in rest:
                    await channel.send(content or None, embeds=embeds, allowed_mentions=NO_MENTIONS)
                    sent += 1
        except DeliveryError as error:
            if sent == 0:
                raise
            cause = error.__cause__ or error
            message = f"only {sent} of {len(messages)} messages of the post went out ({cause}); the rest is skipped"
            raise DeliveryError(message, permanent=True) from error

    @app_commands.command(name="onthisday")
    @app_commands.describe(date="Another day, as MM-DD or YYYY-MM-DD (default: today)")
    async def onthisday(
        self, interaction: discord.Interaction, date: app_commands.Range[str, 1, 10] | None = None
    ) -> None:
        """What came out on this day in earlier years (a preview of the daily post)."""
        schedule = await self.bot.store.schedule(interaction.guild_id) if interaction.guild_id else None
        today = local_date(self.bot.clock(), schedule.timezone if schedule else "UTC")
        day = parse_day(date, today) if date else today
        await interaction.response.defer(thinking=True)
        post = await build_post(self.bot.store, self.bot.summaries, day, self.bot.settings.onthisday_fallbacks)
        if not post.episodes:
            await reply_privately(interaction, f"Nothing came out on {day:%B} {day.day} in earlier years.")
            return
        for content, embeds in post_messages(post):
            await interaction.followup.send(content, embeds=embeds, allowed_mentions=NO_MENTIONS)


async def setup(bot: RewindBot) -> None:
    await bot.add_cog(OnThisDay(bot))
