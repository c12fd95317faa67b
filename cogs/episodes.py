"""`/episode info` and `/episode list`."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.client import RewindBot
from bot.episodes import episode_line, filter_episodes
from cogs.quotes import NO_MENTIONS, as_choices

PER_PAGE = 15


class ListPager(discord.ui.View):
    """Pages through an episode list; only the member who asked can page."""

    def __init__(self, title: str, lines: list[str], owner_id: int) -> None:
        super().__init__(timeout=600)
        self.title, self.lines, self.owner_id, self.page = title, lines, owner_id, 0
        self.pages = max(1, -(-len(lines) // PER_PAGE))
        self._refresh_buttons()

    def embed(self) -> discord.Embed:
        """The current page of the list."""
        shown = self.lines[self.page * PER_PAGE : (self.page + 1) * PER_PAGE]
        description = render.clip("\n".join(shown), render.EMBED_DESCRIPTION_LIMIT)
        embed = discord.Embed(title=render.clip(self.title, render.EMBED_TITLE_LIMIT), description=description)
        return embed.set_footer(text=f"Page {self.page + 1} of {self.pages} · {len(self.lines)} episodes")

    def _refresh_buttons(self) -> None:
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= self.pages - 1

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message("Only the member who asked can page.", ephemeral=True)
        return False

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        self.page = max(0, min(self.pages - 1, self.page + step))
        self._refresh_buttons()
        await interaction.response.edit_message(embed=self.embed(), view=self, allowed_mentions=NO_MENTIONS)

    @discord.ui.button(label="Previous", emoji="◀️", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, button: discord.ui.Button[ListPager]) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next", emoji="▶️", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, button: discord.ui.Button[ListPager]) -> None:
        await self._turn(interaction, +1)


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
        await interaction.response.send_message(embed=view.embed(), view=view, allowed_mentions=NO_MENTIONS)

    @list_episodes.autocomplete("show")
    async def _show_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return as_choices(await self.bot.suggester.shows(current))


async def setup(bot: RewindBot) -> None:
    await bot.add_cog(Episodes(bot))
