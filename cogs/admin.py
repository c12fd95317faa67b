"""`/admin reindex`, `status`, `schedule`, `feed`, `announce`, `upload`, `sync`: Manage Server only.

The bot-wide ones (reindex, sync, feed add and remove, upload) change what every server sees, so
they are further kept to the application's owner, or Manage Server members of ADMIN_GUILD_ID.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
import zoneinfo

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot import limits, render, uploads
from bot.client import BotWideOnly, RewindBot
from bot.episodes import episode_line
from bot.feeds import PollReport
from bot.jobs import report_of
from bot.reindex import busy_text
from bot.schedule import checked_timezone, due_date
from bot.search.choices import rank_choices
from models.jobs import IndexJob
from models.state import AnnounceRow, ScheduleRow
from ui.choices import as_choices
from ui.embeds import NO_MENTIONS

log = logging.getLogger(__name__)


async def _bot_wide(interaction: discord.Interaction) -> bool:
    bot: RewindBot = interaction.client  # type: ignore[assignment]
    if not await bot.may_act_bot_wide(interaction):
        raise BotWideOnly()
    return True


bot_wide = app_commands.check(_bot_wide)

PROGRESS_SECONDS = 2.0  # how often the reindex message is edited (Discord rate-limits edits)
TIMEZONES = {name: name for name in sorted(zoneinfo.available_timezones())}


class ProgressMessage:
    """An interaction's reply, edited every PROGRESS_SECONDS with `latest` while the block runs."""

    def __init__(self, interaction: discord.Interaction, first: str) -> None:
        self.interaction, self.latest, self._shown = interaction, first, ""
        self._updater: asyncio.Task[None] | None = None

    async def __aenter__(self) -> ProgressMessage:
        self._updater = asyncio.create_task(self._keep_showing())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._updater is not None
        self._updater.cancel()
        await asyncio.gather(self._updater, return_exceptions=True)  # no stale edit after the last one

    async def _keep_showing(self) -> None:
        while True:
            await self.show(self.latest)
            await asyncio.sleep(PROGRESS_SECONDS)

    async def show(self, text: str) -> None:
        """Edit the reply to `text` unless it already says that."""
        if text != self._shown:
            self._shown = text
            with contextlib.suppress(discord.HTTPException):  # the token lives 15 minutes
                await self.interaction.edit_original_response(content=text, allowed_mentions=NO_MENTIONS)


@app_commands.default_permissions(manage_guild=True)  # hidden from members without Manage Server...
@app_commands.guild_only()
class Admin(commands.GroupCog, group_name="admin", group_description="Manage Rewind in this server"):
    """Index and schedule management for server admins."""

    def __init__(self, bot: RewindBot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """...and refused at run time too, since server admins can override the default."""
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        if not interaction.permissions.manage_guild:
            raise app_commands.MissingPermissions(["manage_guild"])
        return True

    @app_commands.command(name="reindex")
    @bot_wide
    @app_commands.describe(full="Read every file again, not only the new and changed ones")
    async def reindex(self, interaction: discord.Interaction, full: bool = False) -> None:
        """Index the transcript folders again, showing progress; searches keep working."""
        await interaction.response.defer(thinking=True, ephemeral=True)  # enqueuing may wait for a busy database
        self.bot.background(self._reindex(interaction, full))

    async def _reindex(self, interaction: discord.Interaction, full: bool) -> None:
        message = ProgressMessage(interaction, "Looking for files…")
        asker = f"{interaction.user.name} ({interaction.user.id})"
        try:
            job, made = await self.bot.reindexer.enqueue(full=full, requested_by=asker)
            if not made:
                await message.show(f"Not started: {render.escape(busy_text(job))}; `/admin status` shows its progress.")
                return

            def progress(job: IndexJob) -> None:  # the job's row, read every half second
                message.latest = render.job_progress(job, self.bot.clock())

            async with message:
                job = await self.bot.reindexer.wait(job.id, progress)
        except Exception:
            incident = uuid.uuid4().hex[:8]
            log.exception("reindex failed [%s]", incident)
            await message.show(
                f"❌ The reindex failed (error id `{incident}`); the previous index is still searchable."
            )
            return
        report = report_of(job)
        if job.status == "failed" or report is None:
            reason = render.escape(limits.clip(job.error or "no report", 1500))
            await message.show(f"❌ The reindex failed: {reason}. The previous index is still searchable.")
        else:
            await message.show(render.reindex_report(report))

    @app_commands.command(name="status")
    async def status(self, interaction: discord.Interaction) -> None:
        """What the index holds, the last reindex, the daily post and files that failed."""
        counts = await self.bot.store.counts()
        schedule = await self.bot.store.schedule(interaction.guild_id) if interaction.guild_id else None
        embed = discord.Embed(title="Rewind status")
        embed.add_field(
            name="Index",
            value=f"{counts['shows']} shows · {counts['episodes']} episodes · {counts['segments']} segments",
            inline=False,
        )
        embed.add_field(name="Reindex", value=await self._reindex_state(), inline=False)
        embed.add_field(name="Daily post", value=self._schedule_state(schedule), inline=False)
        feeds = self.bot.store.feeds
        rows = await feeds.feeds()
        embed.add_field(name=f"Feeds ({len(rows)})", value=render.feed_lines(rows) or NO_FEEDS, inline=False)
        announce = await feeds.announce_channels(interaction.guild_id)
        embed.add_field(name="New-episode posts", value=_announce_state(announce), inline=False)
        rejected = await self.bot.store.rejected_sources()
        if rejected:
            lines = "\n".join(f"• `{render.escape(limits.clip(p, 100))}`: {render.escape(r)}" for p, r in rejected)
            name = f"Files that could not be read ({counts['rejected']})"
            embed.add_field(name=name, value=limits.clip(lines, limits.FIELD_VALUE_LIMIT), inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def _reindex_state(self) -> str:
        jobs = await self.bot.reindexer.recent(2)
        if not jobs:
            return "No reindex yet."
        now = self.bot.clock()
        text = render.job_state(jobs[0], now)
        if not jobs[0].finished and len(jobs) > 1:
            text += "\nLast: " + render.job_state(jobs[1], now)
        return limits.clip(text, limits.FIELD_VALUE_LIMIT)

    def _schedule_state(self, schedule: ScheduleRow | None) -> str:
        if schedule is None:
            return "Not set up: use `/admin schedule`."
        state = "on" if schedule.enabled else "off"
        lines = [f"<#{schedule.channel_id}> at {schedule.hour:02}:00 {schedule.timezone} ({state})"]
        lines.append(f"Last posted: {schedule.last_posted or 'never'}")
        if schedule.last_error:
            lines.append(f"⚠️ {render.escape(schedule.last_error)} ({schedule.last_error_at or 'recently'})")
        return limits.clip("\n".join(lines), limits.FIELD_VALUE_LIMIT)

    @app_commands.command(name="schedule")
    @app_commands.describe(
        channel="Where the daily post goes",
        hour="The hour of the day to post (0-23, in the timezone below)",
        timezone="Your server's timezone, such as Europe/Berlin",
        enabled="Turn the daily post on or off",
    )
    async def schedule(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        hour: app_commands.Range[int, 0, 23],
        timezone: app_commands.Range[str, 1, 64],
        enabled: bool = True,
    ) -> None:
        """Choose the channel, hour and timezone of the daily "on this day" post."""
        zone = checked_timezone(timezone)
        assert interaction.guild_id is not None
        await self.bot.store.save_schedule(interaction.guild_id, channel.id, hour, zone, enabled)
        saved = await self.bot.store.schedule(interaction.guild_id)
        assert saved is not None
        await interaction.response.send_message(self._confirmation(saved, channel), ephemeral=True)

    def _confirmation(self, saved: ScheduleRow, channel: discord.TextChannel) -> str:
        if not saved.enabled:
            return "The daily post is off. Run `/admin schedule` with `enabled: True` to turn it on."
        today = due_date(saved, self.bot.clock()) is not None
        when = "today, within a minute" if today else "at the next occurrence of that hour"
        text = f"Daily posts go to {channel.mention} at {saved.hour:02}:00 ({saved.timezone}); the next one {when}."
        return text + _cannot_post(channel)

    @schedule.autocomplete("timezone")
    async def _timezones(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return as_choices(rank_choices(current, TIMEZONES))

    feed = app_commands.Group(name="feed", description="Follow podcast feeds: new episodes arrive by themselves")

    @feed.command(name="add")
    @bot_wide
    @app_commands.describe(url="The feed's address (http:// or https://)")
    async def feed_add(self, interaction: discord.Interaction, url: app_commands.Range[str, 1, 500]) -> None:
        """Follow a podcast feed: its episodes, transcripts and chapters, polled every hour."""
        await interaction.response.defer(thinking=True, ephemeral=True)
        row = await self.bot.follower.add(url)
        report = await self.bot.follower.poll_one(row.url)
        await interaction.followup.send(_first_poll(report), ephemeral=True, allowed_mentions=NO_MENTIONS)

    @feed.command(name="remove")
    @bot_wide
    @app_commands.describe(url="A followed feed's address")
    async def feed_remove(self, interaction: discord.Interaction, url: app_commands.Range[str, 1, 500]) -> None:
        """Stop following a feed; its episodes leave the index."""
        await interaction.response.defer(thinking=True, ephemeral=True)
        row = await self.bot.follower.remove(url)
        await interaction.followup.send(f"No longer following <{row.url}>.", ephemeral=True)

    @feed_remove.autocomplete("url")
    async def _feed_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        urls = {row.url: row.url for row in await self.bot.follower.feeds.feeds() if len(row.url) <= 100}
        return as_choices(rank_choices(current, urls))

    @feed.command(name="list")
    async def feed_list(self, interaction: discord.Interaction) -> None:
        """The followed feeds and how their last poll went."""
        rows = await self.bot.follower.feeds.feeds()
        text = render.feed_lines(rows, limits.CONTENT_LIMIT) or NO_FEEDS
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="announce")
    @app_commands.describe(channel="Where new episodes are announced", enabled="Turn the posts on or off")
    async def announce(
        self, interaction: discord.Interaction, channel: discord.TextChannel, enabled: bool = True
    ) -> None:
        """Post each new episode of the followed feeds to a channel, once."""
        assert interaction.guild_id is not None
        await self.bot.store.feeds.save_announce(interaction.guild_id, channel.id, enabled)
        if not enabled:
            text = "New-episode posts are off. Run `/admin announce` with `enabled: True` to turn them on."
        else:
            text = f"New episodes of the followed feeds will be posted to {channel.mention} as they come out."
            text += _cannot_post(channel)
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="upload")
    @bot_wide
    @app_commands.describe(
        file="A transcript in any format Rewind reads, or its sidecar (.meta.yaml, .chapters.json)",
        show="The show it belongs to (its folder); default: what the file itself says",
        replace="Replace an earlier upload of the same name",
    )
    async def upload(
        self,
        interaction: discord.Interaction,
        file: discord.Attachment,
        show: app_commands.Range[str, 1, 100] | None = None,
        replace: bool = False,
    ) -> None:
        """Add a transcript from Discord: checked, saved and indexed at once."""
        problem = uploads.size_problem(file.filename, file.size)  # before anything is downloaded
        if problem:
            await interaction.response.send_message(f"❌ Not added: {problem}.", ephemeral=True)
            return
        await interaction.response.defer(thinking=True, ephemeral=True)

        async def download() -> bytes:
            try:
                return await file.read()
            except (discord.HTTPException, aiohttp.ClientError) as error:
                raise uploads.UploadError(f"Discord did not hand over the file ({error}); try again") from error

        try:
            done = await uploads.receive(
                self.bot.store, self.bot.reindexer.index, self.bot.settings.upload_dir,
                filename=file.filename, size=file.size, read=download, show=show, replace=replace,
            )  # fmt: skip
        except uploads.UploadError as error:
            await interaction.followup.send(f"❌ Not added: {render.escape(str(error))}.", ephemeral=True)
            return
        await interaction.followup.send(_uploaded(done), ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="sync")
    @bot_wide
    async def sync(self, interaction: discord.Interaction) -> None:
        """Register the slash commands with Discord again (after an update)."""
        await interaction.response.defer(thinking=True, ephemeral=True)
        count = await self.bot.sync_commands(force=True)
        await interaction.followup.send(f"Synced {count} slash commands.", ephemeral=True)


def _cannot_post(channel: discord.TextChannel) -> str:
    """A warning line when the bot may not post in `channel`, else nothing."""
    me = channel.guild.me
    if me is not None and not channel.permissions_for(me).send_messages:
        return f"\n⚠️ I can't send messages in {channel.mention} yet: give me Send Messages and Embed Links."
    return ""


NO_FEEDS = "No feeds followed: use `/admin feed add`."


def _first_poll(report: PollReport) -> str:
    if report.status == "error":
        reason = report.errors[0][1] if report.errors else "unknown"
        return f"Following <{report.url}>, but the first poll failed: {render.escape(reason)}. It is tried again later."
    text = (
        f"Following <{report.url}>: {report.items} episodes, {report.transcripts_fetched} transcripts fetched. "
        "Episodes already out are not announced; new ones are, once `/admin announce` names a channel."
    )
    if report.errors:
        text += f"\n⚠️ {len(report.errors)} downloads failed (retried later); `/admin status` lists the feed's trouble."
    return limits.clip(text, limits.CONTENT_LIMIT)


def _uploaded(done: uploads.Upload) -> str:
    where = f"`{render.escape(done.path.parent.name)}/{render.escape(done.path.name)}`"
    if done.episode is None:
        text = f"Saved {where}; it is not an episode of its own (a second copy, or a sidecar with no transcript yet)."
    else:
        show = f"{render.escape(done.episode.show)} " if done.episode.show else ""
        text = f"Added {where}: {show}{episode_line(done.episode)}. It is searchable now."
    if done.warnings:
        text += f"\n⚠️ {render.escape(done.warnings)}"
    return limits.clip(text, limits.CONTENT_LIMIT)


def _announce_state(rows: list[AnnounceRow]) -> str:
    if not rows:
        return "Not set up: use `/admin announce`."
    row = rows[0]
    text = f"<#{row.channel_id}> ({'on' if row.enabled else 'off'})"
    if row.last_error:
        text += f"\n⚠️ {render.escape(row.last_error)} ({row.last_error_at})"
    return limits.clip(text, limits.FIELD_VALUE_LIMIT)


async def setup(bot: RewindBot) -> None:
    await bot.add_cog(Admin(bot))
