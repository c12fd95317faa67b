"""`/help`."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import RewindBot
from ui.embeds import NO_MENTIONS

HELP = (
    "**/quote search** `query` — find the moment a quote was said, even remembered badly.\n"
    "  e.g. `/quote search query: dopamine and slot machines`\n"
    '  Quote exact words in "double quotes"; narrow with `show`, `speaker`, `episode`; `private` answers only you.\n'
    "**/quote random** — a random line worth quoting, e.g. `/quote random show: Talk Python`.\n"
    "**/episode summary** `episode` — what an episode is about: gist, keywords, chapters, quotes.\n"
    "  e.g. `/episode summary episode: 91`\n"
    "**/episode info** `episode` — details and show notes of one episode.\n"
    "**/episode list** — the episodes, newest first; narrow with `show` and `year`.\n"
    "**/onthisday** — what came out on this day in earlier years, e.g. `/onthisday date: 12-11`.\n"
    "**/admin status**, **/admin schedule**, **/admin announce**, **/admin feed list** — for members with Manage"
    " Server: what the index holds, this server's daily post (channel, hour, timezone) and new-episode posts,\n"
    "  e.g. `/admin schedule channel: #general hour: 9 timezone: Europe/Berlin`.\n"
    "**/admin reindex**, **/admin sync**, **/admin feed add/remove**, **/admin upload** act for every server, so\n"
    "  only the bot's owner runs them (or Manage Server members of the server set as ADMIN_GUILD_ID).\n"
    "**/help** — this message."
)


class Meta(commands.Cog):
    """Help and housekeeping."""

    def __init__(self, bot: RewindBot) -> None:
        self.bot = bot

    @app_commands.command(name="help")
    async def help(self, interaction: discord.Interaction) -> None:
        """What each command does, with an example."""
        await interaction.response.send_message(HELP, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def setup(bot: RewindBot) -> None:
    await bot.add_cog(Meta(bot))
