"""The Discord bot object: start-up, the one error funnel, command sync. Commands live in cogs/."""

from __future__ import annotations

import asyncio
import logging
import uuid

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.config import Settings
from bot.ingest.indexer import index_paths
from bot.search.choices import Suggester
from bot.search.engine import Searcher
from bot.search.query import QueryError
from storage import Store

log = logging.getLogger(__name__)

EXTENSIONS = ("cogs.quotes", "cogs.episodes", "cogs.meta")


class RewindBot(commands.Bot):
    """Rewind's bot: owns the store and the searcher the cogs use."""

    store: Store
    searcher: Searcher
    suggester: Suggester

    def __init__(self, settings: Settings) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
        )
        self.settings = settings
        self.tree.on_error = self.on_app_command_error
        self._indexing: asyncio.Task[None] | None = None

    async def setup_hook(self) -> None:
        """Open the database, load the cogs, index the configured folders, sync commands."""
        self.store = await Store.open(self.settings.database)
        self.searcher = Searcher(self.store)
        self.suggester = Suggester(self.store)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        if self.settings.transcript_dirs:
            self._indexing = asyncio.create_task(self._index_configured_folders())
        await self._sync_commands()

    async def _index_configured_folders(self) -> None:
        # A connection of its own: searches keep reading the last committed index (WAL) while
        # this one writes, and never run inside the indexer's transactions.
        writer = await Store.open(self.settings.database)
        try:
            report = await index_paths(writer, self.settings.transcript_dirs, workers=self.settings.index_workers)
        except Exception:  # the bot keeps serving the last good index
            log.exception("indexing %s failed; the previous index stays searchable", self.settings.transcript_dirs)
            return
        finally:
            await writer.close()
        log.info(
            "indexed %d files (%d unchanged, %d rejected) in %.1f s",
            report.indexed,
            report.unchanged,
            len(report.rejects),
            report.seconds,
        )

    async def _sync_commands(self) -> None:
        if self.settings.dev_guild_id:
            guild = discord.Object(self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
        else:
            synced = await self.tree.sync()
        log.info("synced %d slash commands", len(synced))

    async def close(self) -> None:
        """Stop indexing, close the database, then disconnect."""
        if self._indexing is not None:
            self._indexing.cancel()
        if hasattr(self, "store"):
            await self.store.close()
        await super().close()

    async def on_app_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """The one error funnel: known problems get a short ephemeral reply, the rest a log id."""
        original = getattr(error, "original", error)
        if isinstance(original, QueryError):
            message = str(original)
        elif isinstance(error, app_commands.CommandOnCooldown):
            message = f"Slow down a little: try again in {error.retry_after:.0f} s."
        elif isinstance(error, app_commands.CheckFailure):
            message = "You can't use that command here."
        elif isinstance(error, app_commands.TransformerError):
            message = "One of the options is not valid: check its length or spelling and try again."
        else:
            incident = uuid.uuid4().hex[:8]
            log.error("command failed [%s]", incident, exc_info=original)
            message = f"Something went wrong on our side (error id `{incident}`); an admin can look it up."
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)


def create_bot(settings: Settings) -> RewindBot:
    """Build the bot without connecting (for `run_bot`, tests, and operators embedding it)."""
    return RewindBot(settings)


async def run_bot(settings: Settings) -> None:
    """Connect to Discord and serve until stopped."""
    if settings.token is None:
        raise ValueError("run_bot needs a token")
    bot = create_bot(settings)
    try:
        async with bot:
            await bot.start(settings.token)
    except discord.LoginFailure as error:
        raise SystemExit(f"rewind: Discord refused DISCORD_TOKEN ({error}); copy the token again") from error
    except (aiohttp.ClientError, OSError) as error:
        raise SystemExit(f"rewind: cannot reach Discord ({error}); check the network and try again") from error
