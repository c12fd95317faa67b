"""`/help`."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import RewindBot

HELP = (
    "**/quote search** `query` — find the moment a quote was said, even remembered badly.\n"
    "  e.g. `/quote search query: dopamine and slot machines`\n"
    '  Quote exact words in "double quotes"; narrow with `show`, `speaker`, `episode`.\n'
    "**/quote random** — a random line worth quoting.\n"
    "**/episode info** `episode` — details of one episode, e.g. `/episode info episode: 91`.\n"
    "**/episode list** — the episodes, newest first; narrow with `show` and `year`.\n"
    "**/help** — this message."
)


class Meta(commands.Cog):
    """Help and housekeeping."""

    def __init__(self, bot: RewindBot) -> None:
        self.bot = bot

    @app_commands.command(name="help")
    async def help(self, interaction: discord.Interaction) -> None:
        """What each command does, with an example."""
        await interaction.response.send_message(HELP, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())


async def setup(bot: RewindBot) -> None:
    await bot.add_cog(Meta(bot))
