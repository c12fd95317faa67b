"""`/episode summary`, `/episode info` and `/episode list`."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import limits, render
from bot.client import RewindBot
from bot.episodes import UnknownEpisode, episode_line, filter_episodes
from bot.search.links import deep_link
from ui import options
from ui.choices import as_choices
from ui.embeds import NO_MENTIONS, summary_embed
from ui.paging import episodes_payload, first_page


class Episodes(commands.GroupCog, group_name="episode", group_description="Look up episodes"):
    """Episode summaries, details and listings."""

    def __init__(self, bot: RewindBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="summary")
    @app_commands.describe(episode=options.EPISODE)
    async def summary(self, interaction: discord.Interaction, episode: app_commands.Range[str, 1, 100]) -> None:
        """What an episode is about: gist, keywords, chapters and quotes."""
        ids = await self.bot.searcher.resolve_episode(episode)
        if not ids:
            raise UnknownEpisode()
        await interaction.response.defer(thinking=True)  # the first summary of an episode takes a moment
        made = await self.bot.summaries.summary(ids[0])
        if made is None:
            raise UnknownEpisode()
        await interaction.followup.send(embed=summary_embed(made), allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="info")
    @app_commands.describe(episode=options.EPISODE)
    async def info(self, interaction: discord.Interaction, episode: app_commands.Range[str, 1, 100]) -> None:
        """Details of one episode."""
        ids = await self.bot.searcher.resolve_episode(episode)
        row = await self.bot.store.episode(ids[0]) if ids else None
        if row is None:
            raise UnknownEpisode()
        notes = await self.bot.store.description(row.id)
        embed = discord.Embed(
            title=render.titled(row.show, row.title),
            description=limits.clip(render.escape(notes), 1000) if notes else None,
            url=deep_link(row.url, None),
        )
        embed.add_field(name="Episode", value=limits.clip(episode_line(row), limits.FIELD_VALUE_LIMIT))
        if row.speakers:
            names = limits.clip(", ".join(render.escape(s) for s in row.speakers), limits.FIELD_VALUE_LIMIT)
            embed.add_field(name="Speakers", value=names)
        await interaction.response.send_message(embed=embed, allowed_mentions=NO_MENTIONS)

    @summary.autocomplete("episode")
    @info.autocomplete("episode")
    async def _episode_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return as_choices(await self.bot.suggester.episodes(current))

    @app_commands.command(name="list")
    @app_commands.describe(show=options.SHOW, year="Only episodes published in this year")
    async def list_episodes(
        self,
        interaction: discord.Interaction,
        show: str | None = None,
        year: app_commands.Range[int, 1900, 2200] | None = None,
    ) -> None:
        """The episodes, newest first."""
        rows = filter_episodes(await self.bot.store.list_episodes(), show, year)
        if not rows:
            await interaction.response.send_message("No episodes match that.", ephemeral=True)
            return
        title = " · ".join(str(part) for part in (show or "All shows", year) if part)
        payload = episodes_payload(title, [episode_line(row) for row in rows])
        embed, view = await first_page(self.bot.store, interaction.user.id, "episodes", payload)
        await interaction.response.send_message(embed=embed, view=view, allowed_mentions=NO_MENTIONS)

    @list_episodes.autocomplete("show")
    async def _show_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return as_choices(await self.bot.suggester.shows(current))


async def setup(bot: RewindBot) -> None:
    await bot.add_cog(Episodes(bot))
