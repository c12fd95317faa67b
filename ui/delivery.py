"""Posting to a channel outside an interaction (daily posts, new-episode posts): failures become
DeliveryError, saying whether trying again later may help."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import aiohttp
import discord
from discord.http import handle_message_parameters

from bot.schedule import DeliveryError
from ui.embeds import NO_MENTIONS


async def send_once(
    bot: discord.Client, channel_id: int, nonce: str, content: str | None, embeds: list[discord.Embed]
) -> int:
    """Send a message Discord creates only once for `nonce` (up to 25 characters): sent again within
    a few minutes, the first one is returned instead (`enforce_nonce`, which discord.py's send
    does not offer). The message's id."""
    with handle_message_parameters(content=content, embeds=embeds, nonce=nonce, allowed_mentions=NO_MENTIONS) as params:
        assert params.payload is not None
        params.payload["enforce_nonce"] = True
        message = await bot.http.send_message(channel_id, params=params)
    return int(message["id"])


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
