"""A local stand-in for Discord's REST API and gateway, for end-to-end tests of the real client.

It serves the routes Rewind uses on 127.0.0.1 (random port), records every request body, and lets
a test dispatch gateway events such as INTERACTION_CREATE.

Messages get the visibility Discord gives them, not the one the bot asked for: the first follow-up
after a deferred response replaces the "thinking" placeholder and keeps the defer's visibility,
ignoring its own `ephemeral` flag (discord-api-docs, Receiving and Responding: Create Followup Message).
A channel message sent again with the same `nonce` and `enforce_nonce` is not created twice: the
first one is returned (Create Message).

Sharding as the Gateway docs describe it (Sharding, Get Gateway Bot, Identify): GET /gateway/bot
answers the recommended `shards` and the `session_start_limit` with its `max_concurrency`; an
IDENTIFY with `shard: [shard_id, num_shards]` gets READY and the GUILD_CREATEs of only the servers
with (guild_id >> 22) % num_shards == shard_id; a shard id out of range is closed with 4010 (Invalid
Shard). Each IDENTIFY is recorded with its time, so a test can check the rate limit bucket
(shard_id % max_concurrency) rule: one IDENTIFY a bucket every 5 seconds.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

APPLICATION_ID = "1100000000000000001"
BOT_ID = "1100000000000000002"
GUILD_ID = "1100000000000000003"
CHANNEL_ID = "1100000000000000004"
MEMBER_ID = "1100000000000000005"

CHANNEL = {
    "id": CHANNEL_ID,
    "type": 0,
    "name": "general",
    "position": 0,
    "permission_overwrites": [],
    "guild_id": GUILD_ID,
}
MANAGE_GUILD = str(1 << 5)
EPHEMERAL, LOADING = 1 << 6, 1 << 7

BOT_USER = {"id": BOT_ID, "username": "rewind", "discriminator": "0", "global_name": None, "avatar": None, "bot": True}


def _json(data: Any, status: int = 200) -> web.Response:
    # discord.py parses a body only when the content type is exactly `application/json`.
    return web.Response(body=json.dumps(data).encode(), status=status, content_type="application/json")


@dataclass
class Recorded:
    """One request the bot sent."""

    method: str
    path: str
    body: Any


@dataclass(frozen=True)
class Identify:
    """One IDENTIFY the gateway received: when (time.monotonic), for which shard, of how many."""

    at: float
    shard_id: int
    num_shards: int


def guild_payload(guild_id: str, channel_id: str) -> dict[str, Any]:
    """A GUILD_CREATE for a server with one text channel."""
    return {
        "id": guild_id,
        "name": f"Test server {guild_id[-4:]}",
        "icon": None,
        "owner_id": MEMBER_ID,
        "roles": [],
        "emojis": [],
        "stickers": [],
        "features": [],
        "member_count": 2,
        "members": [],
        "channels": [{**CHANNEL, "id": channel_id, "guild_id": guild_id}],
        "threads": [],
        "voice_states": [],
        "presences": [],
        "unavailable": False,
        "large": False,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "nsfw_level": 0,
        "system_channel_flags": 0,
        "afk_timeout": 300,
        "joined_at": "2026-01-01T00:00:00+00:00",
    }


@dataclass
class FakeDiscord:
    requests: list[Recorded] = field(default_factory=list)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)  # the latest follow-up, by interaction token
    created: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # every live message of an interaction
    channel_messages: list[dict[str, Any]] = field(default_factory=list)  # sent to the channel itself
    attachments: dict[str, bytes] = field(default_factory=dict)  # the CDN: files members attached, by id
    identified: asyncio.Event = field(default_factory=asyncio.Event)
    intents: int | None = None  # what the bot asked for when it identified
    unavailable_for: set[int] = field(default_factory=set)  # channel posts (1 = the first) answered 503
    guilds: dict[str, str] = field(default_factory=lambda: {GUILD_ID: CHANNEL_ID})  # the bot's servers: channel
    recommended_shards: int = 1  # what GET /gateway/bot recommends
    max_concurrency: int = 1  # IDENTIFYs allowed per 5 s, one per bucket shard_id % max_concurrency
    identifies: list[Identify] = field(default_factory=list)
    post_delay: float = 0  # seconds between creating a channel message and answering (a slow Discord)
    repeated_nonces: int = 0  # channel messages sent again with an enforced nonce, answered with the first
    _nonces: dict[tuple[str, object], dict[str, Any]] = field(default_factory=dict)  # (channel, nonce): message
    _channel_posts: int = 0
    _sockets: dict[int, tuple[web.WebSocketResponse, int]] = field(default_factory=dict)  # shard: socket, of how many
    _sequence: itertools.count = field(default_factory=lambda: itertools.count(1))
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1200000000000000000))
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        app.router.add_get("/attachments/{id}/{name}", self._attachment)
        return app

    async def _attachment(self, request: web.Request) -> web.Response:
        data = self.attachments.get(request.match_info["id"])
        return web.Response(body=data) if data is not None else web.Response(status=404)

    async def _rest(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body and request.content_type == "application/json" else None
        path = "/" + request.match_info["tail"]
        async with self._changed:
            self.requests.append(Recorded(request.method, path, body))
            self._changed.notify_all()
        if path == "/users/@me":
            return _json(BOT_USER)
        if path == "/gateway/bot":
            limit = {"total": 1000, "remaining": 1000 - len(self.identifies), "reset_after": 86_400_000}
            gateway = str(request.url.with_path("/gateway").with_query(None)).replace("http", "ws", 1)
            return _json(
                {
                    "url": gateway,
                    "shards": self.recommended_shards,
                    "session_start_limit": {**limit, "max_concurrency": self.max_concurrency},
                }
            )
        if path == "/oauth2/applications/@me":
            return _json(
                {
                    "id": APPLICATION_ID,
                    "name": "Rewind",
                    "icon": None,
                    "description": "",
                    "bot_public": True,
                    "bot_require_code_grant": False,
                    "verify_key": "0" * 64,
                    "flags": 0,
                    "owner": {**BOT_USER, "id": MEMBER_ID, "bot": False},
                    "team": None,
                }
            )
        if path.endswith("/commands") and request.method == "PUT":
            return _json(
                [
                    {
                        **command,
                        "id": str(next(self._ids)),
                        "application_id": APPLICATION_ID,
                        "version": "1",
                        "default_member_permissions": command.get("default_member_permissions"),
                        "type": 1,
                    }
                    for command in body
                ]
            )
        channel = self._channel(path)
        if channel is not None and path == f"/channels/{channel['id']}" and request.method == "GET":
            return _json(channel)
        if channel is not None and path == f"/channels/{channel['id']}/messages" and request.method == "POST":
            self._channel_posts += 1
            if self._channel_posts in self.unavailable_for:  # a passing outage, as Discord's 503
                return _json({"message": "Service Unavailable", "code": 0}, status=503)
            body = body or {}
            nonce = (channel["id"], body.get("nonce"))
            if body.get("enforce_nonce") and nonce in self._nonces:  # "that message will be returned"
                self.repeated_nonces += 1
                return _json(self._nonces[nonce])
            message = self._message(body, channel["id"])
            self.channel_messages.append(message)
            if body.get("nonce") is not None:
                self._nonces[nonce] = message
            await asyncio.sleep(self.post_delay)  # Discord has the message; its answer is on the way
            return _json(message)
        if path.startswith("/channels/"):
            return _json({"message": "Unknown Channel", "code": 10003}, status=404)
        if path.endswith("/callback"):  # discord.py asks `with_response` and reads what it created
            return self._callback(path.split("/")[2], path.split("/")[3], body or {})
        if path.startswith(f"/webhooks/{APPLICATION_ID}/"):
            return self._webhook(request.method, path.split("/")[3], path.endswith("/messages/@original"), body or {})
        return _json({"message": f"no fake for {request.method} {path}", "code": 0}, status=404)

    def _channel(self, path: str) -> dict[str, Any] | None:
        parts = path.split("/")
        if len(parts) < 3 or parts[1] != "channels":
            return None
        guild = next((g for g, c in self.guilds.items() if c == parts[2]), None)
        return None if guild is None else {**CHANNEL, "id": parts[2], "guild_id": guild}

    def _callback(self, interaction_id: str, token: str, body: dict[str, Any]) -> web.Response:
        data = body.get("data") or {}
        created: dict[str, Any] = {"type": body["type"]}
        if body["type"] in (4, 5):  # a message, or the "thinking" placeholder a follow-up will replace
            flags = data.get("flags", 0) & EPHEMERAL | (LOADING if body["type"] == 5 else 0)
            message = self._message({**data, "flags": flags})
            self.created[token] = [message]
            created["message"] = message
        elif body["type"] == 7:
            created["message"] = self._message(data)
        return _json(
            {
                "interaction": {
                    "id": interaction_id,
                    "type": 2,
                    "response_message_loading": body["type"] == 5,
                    "response_message_ephemeral": bool(data.get("flags", 0) & EPHEMERAL),
                },
                "resource": created,
            }
        )

    def _webhook(self, method: str, token: str, original: bool, body: dict[str, Any]) -> web.Response:
        live = self.created.setdefault(token, [])
        if original:
            if not live:
                return _json({"message": "Unknown Message", "code": 10008}, status=404)
            if method == "GET":
                return _json(live[0])
            if method == "DELETE":
                live.pop(0)
                return web.Response(status=204)
        if original or (method == "POST" and live and live[0]["flags"] & LOADING):
            # an edit of the original, or the first follow-up after a defer: it replaces the
            # placeholder and keeps its visibility, whatever flags the bot sent
            message = {**self._message(body), "id": live[0]["id"], "flags": live[0]["flags"] & EPHEMERAL}
            live[0] = message
        elif method == "POST":
            message = self._message({**body, "flags": body.get("flags", 0) & EPHEMERAL})
            live.append(message)
        else:
            return _json(self._message(body))
        if method == "POST":
            self.messages[token] = message
        return _json(message)

    def public(self, token: str) -> list[dict[str, Any]]:
        """The messages of an interaction that everyone in the channel sees."""
        return [m for m in self.created.get(token, []) if not m["flags"] & EPHEMERAL]

    def _message(self, body: dict[str, Any], channel_id: str = CHANNEL_ID) -> dict[str, Any]:
        return {
            "id": str(next(self._ids)),
            "channel_id": channel_id,
            "author": BOT_USER,
            "content": body.get("content", ""),
            "timestamp": "2026-11-22T00:00:00+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds", []),
            "pinned": False,
            "type": 0,
            "flags": body.get("flags", 0),
            "components": body.get("components", []),
            **({"nonce": body["nonce"]} if body.get("nonce") is not None else {}),
        }

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"op": 10, "d": {"heartbeat_interval": 45000}})
        async for message in socket:
            if message.type != WSMsgType.TEXT:
                break
            payload = json.loads(message.data)
            if payload["op"] == 1:
                await socket.send_json({"op": 11})
            elif payload["op"] == 2:
                await self._identify(request, socket, payload["d"])
        return socket

    async def _identify(self, request: web.Request, socket: web.WebSocketResponse, data: dict[str, Any]) -> None:
        shard_id, num_shards = data.get("shard", [0, 1])
        if not 0 <= shard_id < num_shards:
            await socket.close(code=4010, message=b"Invalid shard")
            return
        self.intents = data["intents"]
        self._sockets[shard_id] = (socket, num_shards)
        mine = [g for g in self.guilds if (int(g) >> 22) % num_shards == shard_id]
        ready = {
            "v": 10,
            "user": BOT_USER,
            "guilds": [{"id": guild, "unavailable": True} for guild in mine],
            "session_id": f"fake-session-{shard_id}",
            "resume_gateway_url": str(request.url.with_path("/gateway").with_query(None)),
            "application": {"id": APPLICATION_ID, "flags": 0},
            "shard": [shard_id, num_shards],
        }
        await self._send(socket, "READY", ready)
        for guild in mine:
            await self._send(socket, "GUILD_CREATE", guild_payload(guild, self.guilds[guild]))
        async with self._changed:
            self.identifies.append(Identify(time.monotonic(), shard_id, num_shards))
            self._changed.notify_all()
        self.identified.set()

    async def _send(self, socket: web.WebSocketResponse, event: str, data: dict[str, Any]) -> None:
        await socket.send_json({"op": 0, "t": event, "s": next(self._sequence), "d": data})

    async def dispatch(self, event: str, data: dict[str, Any], *, guild_id: str = GUILD_ID) -> None:
        """Send an event on the shard that holds `guild_id`, as Discord does."""
        for shard_id, (socket, num_shards) in self._sockets.items():
            if (int(guild_id) >> 22) % num_shards == shard_id and not socket.closed:
                await self._send(socket, event, data)
                return
        raise AssertionError(f"no connected shard holds guild {guild_id}")

    async def slash_command(
        self,
        name: str,
        options: list[dict[str, Any]],
        *,
        permissions: str = "0",
        resolved: dict | None = None,
        user_id: str = MEMBER_ID,
        guild_id: str = GUILD_ID,
    ) -> str:
        """Dispatch INTERACTION_CREATE for a slash command (from an ordinary member unless
        `permissions` says otherwise; by default the member who owns the application) in
        `guild_id`, on the shard holding it; return its token."""
        data = {"id": "1", "name": name, "type": 1, "options": options}
        if resolved:
            data["resolved"] = resolved
        return await self._interaction(2, data, permissions, user_id=user_id, guild_id=guild_id)

    async def autocomplete(self, name: str, options: list[dict[str, Any]]) -> str:
        """Dispatch an autocomplete request (one option has `focused: true`); return its token."""
        return await self._interaction(4, {"id": "1", "name": name, "type": 1, "options": options}, "0")

    async def click(self, message: dict[str, Any], custom_id: str, *, user_id: str = MEMBER_ID) -> str:
        """Dispatch INTERACTION_CREATE for a button press on `message`; return its token."""
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._interaction(3, data, "0", message=message, user_id=user_id)

    async def _interaction(
        self,
        kind: int,
        data: dict[str, Any],
        permissions: str,
        *,
        message: dict | None = None,
        user_id: str = MEMBER_ID,
        guild_id: str = GUILD_ID,
    ) -> str:
        token = f"token-{next(self._ids)}"
        channel_id = self.guilds.get(guild_id, CHANNEL_ID)
        payload = {
            "id": str(next(self._ids)),
            "application_id": APPLICATION_ID,
            "type": kind,
            "token": token,
            "version": 1,
            "guild_id": guild_id,
            "channel_id": channel_id,
            "locale": "en-US",
            "guild_locale": "en-US",
            "app_permissions": "2048",
            "entitlements": [],
            "authorizing_integration_owners": {},
            "context": 0,
            "attachment_size_limit": 26214400,
            "channel": {
                "id": channel_id,
                "type": 0,
                "name": "general",
                "guild_id": guild_id,
                "position": 0,
                "permission_overwrites": [],
            },
            "member": {
                "user": {
                    "id": user_id,
                    "username": f"member{user_id[-2:]}",
                    "discriminator": "0",
                    "global_name": None,
                    "avatar": None,
                },
                "roles": [],
                "joined_at": "2026-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "permissions": permissions,
                "flags": 0,
            },
            "data": data,
        }
        if message is not None:
            payload["message"] = message
        await self.dispatch("INTERACTION_CREATE", payload, guild_id=guild_id)
        return token

    async def until(self, condition: Callable[[], bool], *, seconds: float = 20) -> None:
        """Wait (up to `seconds`) until `condition()` holds, checked after every request and IDENTIFY."""
        async with asyncio.timeout(seconds), self._changed:
            await self._changed.wait_for(condition)

    def guild_for_shard(self, shard_id: int, num_shards: int, n: int) -> str:
        """The `n`th snowflake of a server Discord would put on `shard_id` of `num_shards`."""
        return str(((0x3F0000000 + n * num_shards + shard_id) << 22) | n)

    async def wait_for(self, predicate: Callable[[Recorded], bool]) -> Recorded:
        """The first recorded request matching `predicate`, waiting (up to 20 s) for it to arrive."""
        async with asyncio.timeout(20), self._changed:
            while True:
                for recorded in self.requests:
                    if predicate(recorded):
                        return recorded
                await self._changed.wait()
