"""A podcast publisher on 127.0.0.1 for the feed tests: feeds with conditional GET, transcripts,
chapters, and the ways real servers fail (404, oversized, stalled, malformed, redirect chains)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field

from aiohttp import web

PODCAST = "https://podcastindex.org/namespace/1.0"
ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"


def vtt(*lines: str) -> str:
    cues = [f"00:00:{i * 5:02}.000 --> 00:00:{i * 5 + 4:02}.000\n{line}\n" for i, line in enumerate(lines)]
    return "WEBVTT\n\n" + "\n".join(cues)


def item(number: int, title: str, *, transcripts: tuple[tuple[str, str], ...] = (), chapters: str = "",
         notes: str = "", extra: str = "") -> str:  # fmt: skip
    """One RSS item; `transcripts` are (path, type) pairs on the test server (filled in as {base})."""
    links = "".join(f'<podcast:transcript url="{{base}}{path}" type="{kind}"/>' for path, kind in transcripts)
    if chapters:
        links += f'<podcast:chapters url="{{base}}{chapters}" type="application/json+chapters"/>'
    return (
        f"<item><title>{title}</title><guid>ep-{number}</guid><itunes:episode>{number}</itunes:episode>"
        f"<pubDate>Mon, 0{number % 9 + 1} Jun 2026 08:00:00 GMT</pubDate><itunes:duration>1800</itunes:duration>"
        f"<description>{notes or f'Notes for {title}. More follows.'}</description>"
        f'<enclosure url="{{base}}/media/{number}.mp3" type="audio/mpeg" length="1"/>{links}{extra}</item>'
    )


def rss(show: str, items: list[str], language: str = "en") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:podcast="{PODCAST}" xmlns:itunes="{ITUNES}">'
        f"<channel><title>{show}</title><language>{language}</language>{''.join(items)}</channel></rss>"
    )


@dataclass
class Publisher:
    """What the server serves, and what it was asked."""

    feeds: dict[str, str] = field(default_factory=dict)  # path -> RSS text with {base}
    files: dict[str, str] = field(default_factory=dict)  # path -> body
    validators: dict[str, str] = field(default_factory=lambda: {"/feed.xml": "etag"})  # which one each feed uses
    not_modified: Counter[str] = field(default_factory=Counter)  # 304s sent, by path
    hits: Counter[str] = field(default_factory=Counter)
    base: str = ""
    stall_seconds: float = 30.0
    oversized_bytes: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/r/{left:\\d+}", self._redirect)
        app.router.add_get("/huge.vtt", self._huge)
        app.router.add_get("/stall.vtt", self._stall)
        app.router.add_get("/{tail:.*}", self._serve)
        return app

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self.hits[path] += 1
        if path in self.feeds:
            return self._feed(request, path)
        if path in self.files:
            return web.Response(text=self.files[path])
        return web.Response(status=404, text="not found")

    def _feed(self, request: web.Request, path: str) -> web.Response:
        body = self.feeds[path].replace("{base}", self.base)
        tag = '"' + hashlib.sha1(body.encode()).hexdigest()[:16] + '"'
        modified = f"Mon, 01 Jun 2026 {len(body) % 24:02}:00:00 GMT"  # changes with the body, good enough here
        if self.validators.get(path, "last-modified") == "etag":
            if request.headers.get("If-None-Match") == tag:
                self.not_modified[path] += 1
                return web.Response(status=304)
            return web.Response(text=body, content_type="application/rss+xml", headers={"ETag": tag})
        if request.headers.get("If-Modified-Since") == modified:
            self.not_modified[path] += 1
            return web.Response(status=304)
        return web.Response(text=body, content_type="application/rss+xml", headers={"Last-Modified": modified})

    async def _redirect(self, request: web.Request) -> web.Response:
        left = int(request.match_info["left"])
        self.hits[request.path] += 1
        if left == 0:
            return web.Response(text=vtt("The redirected transcript arrived after its hops."))
        raise web.HTTPFound(f"/r/{left - 1}")

    async def _huge(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()  # chunked, no Content-Length: the cap must hold while streaming
        await response.prepare(request)
        await response.write(b"WEBVTT\n\n")
        chunk = b"00:00:01.000 --> 00:00:02.000\nfiller words again and again\n\n" * 1000
        sent = 0
        while sent < self.oversized_bytes:
            await response.write(chunk)
            sent += len(chunk)
        await response.write_eof()
        return response

    async def _stall(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"WEBVTT\n\n")
        await asyncio.sleep(self.stall_seconds)  # longer than the client's read timeout
        return response


def chapters_json(*marks: tuple[float, str]) -> str:
    return json.dumps({"version": "1.2.0", "chapters": [{"startTime": s, "title": t} for s, t in marks]})
