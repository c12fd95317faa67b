"""`/quote search` and `/quote random`."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import RewindBot
from bot.search.query import parse_query
from models.search import SearchFilters
from ui import options
from ui.choices import as_choices
from ui.embeds import NO_MENTIONS, hit_embed
from ui.paging import first_page, hits_payload
from ui.replies import reply_privately

PAGES = 10  # hits a search pages through


class Quotes(commands.GroupCog, group_name="quote", group_description="Find what was said, and when"):
    """Quote search over the indexed transcripts."""

    def __init__(self, bot: RewindBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="search")
    @app_commands.describe(
        query="Words of the quote as you remember them",
        show=options.SHOW,
        speaker=options.SPEAKER,
        episode="Only this episode (number or title)",
        private="Show the answer only to you (with a button to post it to the channel)",
    )
    @app_commands.checks.cooldown(3, 10.0, key=lambda i: i.user.id)
    async def search(
        self,
        interaction: discord.Interaction,
        query: app_commands.Range[str, 1, 500],
        show: str | None = None,
        speaker: str | None = None,
        episode: str | None = None,
        private: bool = False,
    ) -> None:
        """Find the moment a quote was said."""
        filters = SearchFilters(show=show, speaker=speaker, episode=episode)
        parse_query(query, filters)  # a query that cannot be searched is refused before the public defer
        await interaction.response.defer(thinking=True, ephemeral=private)
        hits = await self.bot.searcher.search(query, limit=PAGES, filters=filters)
        if not hits:
            await reply_privately(interaction, "No matching quote. Try fewer or different words.")
            return
        embed, view = await first_page(
            self.bot.store, interaction.user.id, "hits", await hits_payload(self.bot.store, hits), private=private
        )
        await interaction.followup.send(embed=embed, view=view, ephemeral=private, allowed_mentions=NO_MENTIONS)

    @search.autocomplete("show")
    async def _show_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return as_choices(await self.bot.suggester.shows(current))

    @search.autocomplete("speaker")
    async def _speaker_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return as_choices(await self.bot.suggester.speakers(current))

    @search.autocomplete("episode")
    async def _episode_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return as_choices(await self.bot.suggester.episodes(current))

    @app_commands.command(name="random")
    @app_commands.describe(show=options.SHOW, speaker=options.SPEAKER)
    @app_commands.checks.cooldown(3, 10.0, key=lambda i: i.user.id)
    async def random(
        self, interaction: discord.Interaction, show: str | None = None, speaker: str | None = None
    ) -> None:
        """A random line worth quoting."""
        hit = await self.bot.searcher.random_quote(SearchFilters(show=show, speaker=speaker))
        if hit is None:
            await interaction.response.send_message("No quotable line found for that.", ephemeral=True)
            return
        await interaction.response.send_message(embed=hit_embed(hit), allowed_mentions=NO_MENTIONS)

    random.autocomplete("show")(_show_choices)
    random.autocomplete("speaker")(_speaker_choices)


async def setup(bot: RewindBot) -> None:
    await bot.add_cog(Quotes(bot))
