"""`/quote search` and `/quote random`."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.client import RewindBot
from bot.search.choices import Choice
from bot.search.engine import Hit
from bot.search.query import SearchFilters
from cogs.paging import NO_MENTIONS, OwnedPager
from storage import Store


def hit_embed(hit: Hit) -> discord.Embed:
    """One hit as an embed, within Discord's limits, linking to the moment when it can."""
    embed = discord.Embed(title=render.hit_title(hit), description=render.quote_description(hit), url=hit.url)
    embed.add_field(name="Episode", value=render.episode_line(hit), inline=True)
    if hit.url and hit.start_seconds is not None:
        moment = f"[{render.timestamp(hit.start_seconds)}]({hit.url})"
        embed.add_field(name="Listen", value=render.clip(moment, render.FIELD_VALUE_LIMIT), inline=True)
    return embed


PAGES = 10
CONTEXT_RADIUS = 3


class HitPager(OwnedPager):
    """Pages through a search's hits, with a button to widen the context around the hit."""

    refusal = "Only the member who searched can page; run `/quote search` yourself."

    def __init__(self, hits: list[Hit], owner_id: int, store: Store) -> None:
        self.hits, self.store, self.wide = hits, store, False
        super().__init__(len(hits), owner_id)

    async def embed_for(self, index: int) -> discord.Embed:
        hit = self.hits[index]
        embed = hit_embed(hit)
        if self.wide:
            lines = await self.store.context_around(hit.segment_id, CONTEXT_RADIUS)
            embed.description = render.context_description(lines, hit.segment_id)
        return embed.set_footer(text=f"Hit {index + 1} of {len(self.hits)}")

    def refresh_buttons(self) -> None:
        super().refresh_buttons()
        self.context.label = "Less context" if self.wide else "More context"

    @discord.ui.button(label="More context", emoji="📜", style=discord.ButtonStyle.secondary)
    async def context(self, interaction: discord.Interaction, button: discord.ui.Button[HitPager]) -> None:
        self.wide = not self.wide
        await self.show(interaction, 0)


def as_choices(choices: list[Choice]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=choice.name, value=choice.value) for choice in choices]


class Quotes(commands.GroupCog, group_name="quote", group_description="Find what was said, and when"):
    """Quote search over the indexed transcripts."""

    def __init__(self, bot: RewindBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="search")
    @app_commands.describe(
        query="Words of the quote as you remember them",
        show="Only this show",
        speaker="Only lines by this speaker",
        episode="Only this episode (number or title)",
    )
    @app_commands.checks.cooldown(3, 10.0, key=lambda i: i.user.id)
    async def search(
        self,
        interaction: discord.Interaction,
        query: app_commands.Range[str, 1, 500],
        show: str | None = None,
        speaker: str | None = None,
        episode: str | None = None,
    ) -> None:
        """Find the moment a quote was said."""
        await interaction.response.defer(thinking=True)
        filters = SearchFilters(show=show, speaker=speaker, episode=episode)
        hits = await self.bot.searcher.search(query, limit=PAGES, filters=filters)
        if not hits:
            await interaction.followup.send("No matching quote. Try fewer or different words.", ephemeral=True)
            return
        view = HitPager(hits, owner_id=interaction.user.id, store=self.bot.store)
        view.message = await interaction.followup.send(
            embed=await view.current(), view=view, allowed_mentions=NO_MENTIONS, wait=True
        )

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
    @app_commands.describe(show="Only this show", speaker="Only lines by this speaker")
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


async def setup(bot: RewindBot) -> None:
    await bot.add_cog(Quotes(bot))
