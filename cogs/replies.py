"""Answers meant for the member alone, wherever the interaction stands."""

from __future__ import annotations

import discord


async def reply_privately(interaction: discord.Interaction, content: str) -> None:
    """Say `content` to the member only.

    Discord gives the first follow-up after a defer the defer's visibility and ignores its
    `ephemeral` flag, so a public "thinking…" placeholder is deleted first: the follow-up then
    becomes a message of its own, which can be ephemeral.
    """
    if not interaction.response.is_done():
        await interaction.response.send_message(content, ephemeral=True)
        return
    if interaction.response.type is discord.InteractionResponseType.deferred_channel_message:
        original = await interaction.original_response()
        if original.flags.loading and not original.flags.ephemeral:
            await interaction.delete_original_response()
    await interaction.followup.send(content, ephemeral=True)
