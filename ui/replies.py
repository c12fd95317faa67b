"""Answers meant for the member alone, wherever the interaction stands."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

import discord

ButtonCallback = Callable[[Any, discord.Interaction], Awaitable[None]]


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


def funnelled(callback: ButtonCallback) -> ButtonCallback:
    """A button callback whose errors go through the commands' funnel (a private reply with an error id).

    discord.py only logs a failing dynamic item, and the member would see "This interaction failed".
    """

    @functools.wraps(callback)
    async def press(item: Any, interaction: discord.Interaction) -> None:
        try:
            await callback(item, interaction)
        except Exception as error:
            await interaction.client.report_error(interaction, error)  # type: ignore[attr-defined]

    return press
