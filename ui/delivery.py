"""Posting to a channel outside an interaction (daily posts, new-episode posts): failures become
DeliveryError, saying whether trying again later may help."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import aiohttp
import discord

from bot.schedule import DeliveryError


@contextlib.asynccontextmanager
async def delivering(bot: discord.Client, channel_id: int) -> AsyncIterator[discord.abc.Messageable]:
    """The channel to send to; what goes wrong while sending is raised as DeliveryError."""
    try:
        channel = bot.get_channel(channel_id) or await bot.fetch_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            raise DeliveryError(f"channel {channel_id} cannot hold messages", permanent=True)
        yield channel
    except discord.NotFound as error:
        raise DeliveryError(f"channel {channel_id} no longer exists", permanent=True) from error
    except discord.Forbidden as error:
        message = f"no permission to post in channel {channel_id} (needs Send Messages and Embed Links)"
        raise DeliveryError(message, permanent=True) from error
    except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as error:
        raise DeliveryError(f"Discord did not take the post ({error}); retrying", permanent=False) from error
