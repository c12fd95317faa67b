"""The Discord bot object: start-up, the one error funnel, command sync. Commands live in cogs/."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid
from collections.abc import Coroutine
from typing import Any

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.config import Settings
from bot.errors import UserError
from bot.feeds import FeedFollower
from bot.reindex import ReindexBusy, Reindexer
from bot.search.choices import Suggester
from bot.search.engine import Searcher
from bot.summary.service import Summaries
from models.clock import Clock, utc_now
from models.shards import ShardSlice
from storage import Store
from storage.opening import open_store
from storage.postgres import PostgresStore
from ui.paging import PageButton
from ui.replies import reply_privately

log = logging.getLogger(__name__)

IDENTIFY_SPACING = 5.1  # Discord's 5 s between a bucket's IDENTIFYs, and a margin for the hop from the hook to the send
EXTENSIONS = ("cogs.quotes", "cogs.episodes", "cogs.onthisday", "cogs.feeds", "cogs.admin", "cogs.meta")


class BotWideOnly(app_commands.CheckFailure):
    """A bot-wide action asked for by someone who is neither the owner nor in the admin server."""

    def __str__(self) -> str:
        return (
            "This acts for every server the bot is in, so only the bot's owner can run it"
            " (or Manage Server members of the bot's admin server)."
        )


class RewindBot(commands.Bot):
    """Rewind's bot: owns the store, searcher, summaries, feed follower and reindexer the cogs use."""

    store: Store | PostgresStore
    searcher: Searcher
    suggester: Suggester
    summaries: Summaries
    follower: FeedFollower

    def __init__(self, settings: Settings, *, clock: Clock = utc_now, **sharding: Any) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents(guilds=True),  # slash commands need no message events
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            **sharding,
        )
        self.settings = settings
        self.shards_run = (
            ShardSlice(settings.shard_count, settings.shard_ids) if settings.shard_count else ShardSlice.everything()
        )
        self.clock = clock
        self.tree.on_error = self.on_app_command_error
        self.reindexer = Reindexer(settings.database, settings.index_folders, settings.index_workers)
        self._indexing: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def setup_hook(self) -> None:
        """Open the database, load the cogs, index the configured folders, sync commands if changed."""
        self.store = await open_store(self.settings.database, check=True)  # damage shows now, not mid-chat
        self.searcher = Searcher(self.store)
        self.searcher.start()  # the vocabulary loads behind the first searches
        self.suggester = Suggester(self.store)
        self.summaries = Summaries(self.store, self.searcher)
        settings = self.settings
        self.follower = FeedFollower(
            self.store, settings.feed_cache_dir, self.reindexer.index, poll_minutes=settings.feed_poll_minutes
        )
        self.add_dynamic_items(PageButton)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        for folder in (self.settings.upload_dir, self.settings.feed_cache_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self._indexing = self.background(self._index_configured_folders())
        self.background(self.reindexer.serve())  # the jobs other processes enqueue, while no indexer runs
        if self.syncs_commands:
            await self.sync_commands()

    @property
    def syncs_commands(self) -> bool:
        """Whether this process registers the slash commands at start-up: of several processes,
        only the one running shard 0 does."""
        return True

    def background(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run `work` alongside the bot, keeping a reference until it ends; cancelled at close."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _index_configured_folders(self) -> None:
        try:
            report = await self.reindexer.run(requested_by="start-up")
        except ReindexBusy as busy:  # another process's job reads the same folders
            log.info("start-up index not enqueued: %s", busy)
        except Exception as error:  # the last good index keeps serving
            log.warning("start-up index failed: %s", error)
        else:
            log.info("start-up index done: %d files, %d indexed", report.files, report.indexed)

    async def sync_commands(self, *, force: bool = False) -> int:
        """Register the slash commands with Discord when they changed since the last sync (or `force`).

        Global commands sync everywhere (Discord may take a while to show them); with DEV_GUILD_ID
        they sync to that one server instantly.
        """
        guild = discord.Object(self.settings.dev_guild_id) if self.settings.dev_guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        commands_now = [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]
        digest = hashlib.sha256(json.dumps(commands_now, sort_keys=True).encode()).hexdigest()
        key = f"commands:{guild.id if guild else 'global'}"
        if not force and await self.store.fact(key) == digest:
            log.info("slash commands unchanged since the last sync; not syncing")
            return len(commands_now)
        synced = await self.tree.sync(guild=guild)
        await self.store.set_fact(key, digest)
        log.info("synced %d slash commands", len(synced))
        return len(synced)

    async def close(self) -> None:
        """Stop background work, disconnect, then close the database."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.reindexer.close()
        for name in list(self.cogs):  # stops their loops
            await self.remove_cog(name)
        await super().close()
        if hasattr(self, "store"):
            await self.store.close()

    async def on_app_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """The one error funnel: known problems get a short private reply, the rest a logged error id."""
        await self.report_error(interaction, error)

    async def may_act_bot_wide(self, interaction: discord.Interaction) -> bool:
        """Whether `interaction` comes from the application's owner (or team) or the admin server."""
        admin_guild = self.settings.admin_guild_id
        return (admin_guild is not None and interaction.guild_id == admin_guild) or await self.is_owner(
            interaction.user
        )

    async def report_error(self, interaction: discord.Interaction, error: Exception) -> None:
        """Answer a failed command or button press privately, logging what was unexpected."""
        await reply_privately(interaction, explain(error))


class ShardedRewindBot(RewindBot, commands.AutoShardedBot):
    """Rewind over a slice of the shards (SHARD_COUNT, SHARD_IDS); other processes run the rest.

    Discord lets one IDENTIFY through per rate-limit bucket (shard_id % max_concurrency) every 5 s,
    counting every process of the bot: each shard waits for its bucket's turn in the shared store.
    """

    max_concurrency = 1

    def __init__(self, settings: Settings, *, clock: Clock = utc_now) -> None:
        super().__init__(settings, clock=clock, shard_count=settings.shard_count, shard_ids=list(settings.shard_ids))

    async def setup_hook(self) -> None:
        self.max_concurrency = max(1, (await self.fetch_session_start_limits()).max_concurrency)
        await super().setup_hook()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        bucket = (shard_id or 0) % self.max_concurrency
        waited = 0.0
        while (left := await self.store.take_identify_turn(bucket, IDENTIFY_SPACING)) > 0:
            await asyncio.sleep(left)
            waited += left
        if waited:
            log.info("shard %s waited %.1f s for its turn to identify (bucket %d)", shard_id, waited, bucket)

    @property
    def syncs_commands(self) -> bool:
        return 0 in self.shards_run.ids


def explain(error: Exception) -> str:
    """What a member is told about `error`; anything unexpected is logged under the id it shows."""
    original = getattr(error, "original", error)
    if isinstance(original, UserError | BotWideOnly):
        return str(original)
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.MissingPermissions):
        return "Only members with the Manage Server permission can use this command."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works only inside a server."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use that command here."
    if isinstance(error, app_commands.TransformerError):
        return "One of the options is not valid: check its length or spelling and try again."
    incident = uuid.uuid4().hex[:8]
    log.error("interaction failed [%s]", incident, exc_info=original)
    return f"Something went wrong on our side (error id `{incident}`); an admin can look it up."


def create_bot(settings: Settings, *, clock: Clock = utc_now) -> RewindBot:
    """Build the bot without connecting (for `run_bot`, tests, and operators embedding it): sharded
    when SHARD_COUNT is set, else one process as Discord allows below 2,500 servers."""
    if settings.shard_count is None:
        return RewindBot(settings, clock=clock)
    return ShardedRewindBot(settings, clock=clock)


async def run_bot(settings: Settings) -> None:
    """Connect to Discord and serve until stopped."""
    if settings.token is None:
        raise ValueError("run_bot needs a token")
    checked = await open_store(settings.database, check=True)  # a damaged database stops us before login
    await checked.close()
    bot = create_bot(settings)
    try:
        async with bot:
            await bot.start(settings.token)
    except discord.LoginFailure as error:
        raise SystemExit(f"rewind: Discord refused DISCORD_TOKEN ({error}); copy the token again") from error
    except (aiohttp.ClientError, OSError) as error:
        raise SystemExit(f"rewind: cannot reach Discord ({error}); check the network and try again") from error
