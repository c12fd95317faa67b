"""Previous/Next buttons that only the member who asked can use."""

from __future__ import annotations

import contextlib

import discord

NO_MENTIONS = discord.AllowedMentions.none()


class OwnedPager(discord.ui.View):
    """Pages through `count` items, showing `embed_for(index)`. The pages live in memory, so after
    ten idle minutes (or a restart) the buttons disable themselves."""

    refusal = "Only the member who asked can page."
    message: discord.Message | discord.WebhookMessage | None = None

    def __init__(self, count: int, owner_id: int) -> None:
        super().__init__(timeout=600)
        self.count, self.owner_id, self.index = count, owner_id, 0
        self.refresh_buttons()

    async def embed_for(self, index: int) -> discord.Embed:
        """The embed of page `index`."""
        raise NotImplementedError

    async def current(self) -> discord.Embed:
        """The embed of the page shown now."""
        return await self.embed_for(self.index)

    def refresh_buttons(self) -> None:
        """Enable the buttons that lead somewhere."""
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= self.count - 1

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(self.refusal, ephemeral=True)
        return False

    async def show(self, interaction: discord.Interaction, step: int) -> None:
        """Move `step` pages and update the message in place."""
        self.index = max(0, min(self.count - 1, self.index + step))
        self.refresh_buttons()
        await interaction.response.edit_message(embed=await self.current(), view=self, allowed_mentions=NO_MENTIONS)

    @discord.ui.button(label="Previous", emoji="◀️", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, button: discord.ui.Button[OwnedPager]) -> None:
        await self.show(interaction, -1)

    @discord.ui.button(label="Next", emoji="▶️", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, button: discord.ui.Button[OwnedPager]) -> None:
        await self.show(interaction, +1)

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        if self.message is not None:
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(view=self)
