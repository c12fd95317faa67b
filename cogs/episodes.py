"""`/episode info` and `/episode list`."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.client import RewindBot
from bot.episodes import episode_line, filter_episodes
from cogs.paging import NO_MENTIONS, OwnedPager
from cogs.quotes import as_choices

PER_PAGE = 15


class ListPager(OwnedPager):
    """Pages through an episode list, PER_PAGE lines at a time."""

    def __init__(self, title: str, lines: list[str], owner_id: int) -> None:
        self.title, self.lines = title, lines
        super().__init__(max(1, -(-len(lines) // PER_PAGE)), owner_id)

    async def embed_for(self, index: int) -> discord.Embed:
        shown = self.lines[index * PER_PAGE : (index + 1) * PER_PAGE]
        description = render.clip("\n".join(shown), render.EMBED_DESCRIPTION_LIMIT)
        embed = discord.Embed(title=render.clip(self.title, render.EMBED_TITLE_LIMIT), description=description)
        return embed.set_footer(text=f"Page {index + 1} of {self.count} · {len(self.lines)} episodes")


class Episodes(commands.GroupCog, group_name="episode", group_description="Look up episodes"):
    """Episode details and listings."""

    def __init__(self, bot: RewindBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="info")
    @app_commands.describe(episode="Episode number or title")
    async def info(self, interaction: discord.Interaction, episode: app_commands.Range[str, 1, 100]) -> None:
        """Details of one episode."""
        ids = await self.bot.searcher.resolve_episode(episode)
        rows = [row for row in await self.bot.store.list_episodes() if row.id in ids]
        if not rows:
            await interaction.response.send_message("No episode by that name or number.", ephemeral=True)
            return
        row = rows[0]
        notes = await self.bot.store.description(row.id)
        embed = discord.Embed(
            title=render.clip(f"{row.show + ' – ' if row.show else ''}{row.title}", render.EMBED_TITLE_LIMIT),
            description=render.clip(render.escape(notes), 1000) if notes else None,
            url=row.url,
        )
        embed.add_field(name="Episode", value=render.clip(episode_line(row), render.FIELD_VALUE_LIMIT))
        if row.speakers:
            names = render.clip(", ".join(render.escape(s) for s in row.speakers), render.FIELD_VALUE_LIMIT)
            embed.add_field(name="Speakers", value=names)
        await interaction.response.send_message(embed=embed, allowed_mentions=NO_MENTIONS)

    @info.autocomplete("episode")
    async def _episode_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return as_choices(await self.bot.suggester.episodes(current))

    @app_commands.command(name="list")
    @app_commands.describe(show="Only this show", year="Only episodes published in this year")
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
        view = ListPager(title, [episode_line(row) for row in rows], owner_id=interaction.user.id)
        await interaction.response.send_message(embed=await view.current(), view=view, allowed_mentions=NO_MENTIONS)

    @list_episodes.autocomplete("show")
    async def _show_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return as_choices(await self.bot.suggester.shows(current))


async def setup(bot: RewindBot) -> None:
    await bot.add_cog(Episodes(bot))
