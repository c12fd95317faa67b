"""`/quote search` and `/quote random`."""

from __future__ import annotations

import contextlib

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.client import RewindBot
from bot.search.choices import Choice
from bot.search.engine import Hit
from bot.search.query import SearchFilters
from storage import Store

NO_MENTIONS = discord.AllowedMentions.none()


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


class HitPager(discord.ui.View):
    """Pages through a search's hits; only the member who searched can page. The hits live in
    memory, so after ten idle minutes (or a restart) the buttons disable themselves."""

    message: discord.WebhookMessage | None = None

    def __init__(self, hits: list[Hit], owner_id: int, store: Store) -> None:
        super().__init__(timeout=600)
        self.hits, self.owner_id, self.index, self.store = hits, owner_id, 0, store
        self.wide = False
        self._refresh_buttons()

    async def render(self) -> discord.Embed:
        """The current hit, with its place among the others (and wider context when asked)."""
        hit = self.hits[self.index]
        embed = hit_embed(hit)
        if self.wide:
            lines = await self.store.context_around(hit.segment_id, CONTEXT_RADIUS)
            embed.description = render.context_description(lines, hit.segment_id)
        return embed.set_footer(text=f"Hit {self.index + 1} of {len(self.hits)}")

    def _refresh_buttons(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= len(self.hits) - 1
        self.context.label = "Less context" if self.wide else "More context"

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            "Only the member who searched can page; run `/quote search` yourself.", ephemeral=True
        )
        return False

    async def _show(self, interaction: discord.Interaction, step: int) -> None:
        self.index = max(0, min(len(self.hits) - 1, self.index + step))
        self._refresh_buttons()
        await interaction.response.edit_message(embed=await self.render(), view=self, allowed_mentions=NO_MENTIONS)

    @discord.ui.button(label="Previous", emoji="◀️", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, button: discord.ui.Button[HitPager]) -> None:
        await self._show(interaction, -1)

    @discord.ui.button(label="Next", emoji="▶️", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, button: discord.ui.Button[HitPager]) -> None:
        await self._show(interaction, +1)

    @discord.ui.button(label="More context", emoji="📜", style=discord.ButtonStyle.secondary)
    async def context(self, interaction: discord.Interaction, button: discord.ui.Button[HitPager]) -> None:
        self.wide = not self.wide
        await self._show(interaction, 0)

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        if self.message is not None:
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(view=self)


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
            embed=await view.render(), view=view, allowed_mentions=NO_MENTIONS, wait=True
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
