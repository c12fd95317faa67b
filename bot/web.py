"""Fetching from the web within limits: http(s) only, a few redirects, timeouts, a size cap while streaming."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from bot.urls import required_url

MAX_REDIRECTS = 5
USER_AGENT = "Rewind/0.1 (podcast transcript search bot)"


class FetchError(RuntimeError):
    """A download failed; the message is the reason, short enough for a status line."""


@dataclass(frozen=True, slots=True)
class Limits:
    """How long one request may take: to connect, between two reads, and in all."""

    connect: float = 10.0
    read: float = 30.0
    total: float = 300.0


@dataclass(frozen=True, slots=True)
class Fetched:
    """A response: 200 with its body, or 304 (not modified) with none."""

    status: int
    body: bytes
    etag: str | None
    last_modified: str | None


def open_session(limits: Limits = Limits()) -> aiohttp.ClientSession:
    """A client session with Rewind's timeouts."""
    timeout = aiohttp.ClientTimeout(total=limits.total, sock_connect=limits.connect, sock_read=limits.read)
    return aiohttp.ClientSession(timeout=timeout, headers={"User-Agent": USER_AGENT})


async def fetch(
    session: aiohttp.ClientSession,
    url: str,
    *,
    max_bytes: int,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Fetched:
    """GET `url` (conditionally, given validators); FetchError says why nothing usable came back.
    The size cap is checked against Content-Length first and again while the body streams in."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        # aiohttp counts the redirect that would be one too many: allowing 5 takes max_redirects=6.
        async with session.get(required_url(url), headers=headers, max_redirects=MAX_REDIRECTS + 1) as response:
            if response.status == 304:
                return Fetched(304, b"", etag, last_modified)
            if response.status != 200:
                raise FetchError(f"HTTP {response.status} {response.reason or ''}".strip())
            if response.content_length is not None and response.content_length > max_bytes:
                raise FetchError(_too_large(max_bytes))
            body = bytearray()
            async for chunk in response.content.iter_chunked(65536):
                body += chunk
                if len(body) > max_bytes:
                    raise FetchError(_too_large(max_bytes))
            return Fetched(200, bytes(body), response.headers.get("ETag"), response.headers.get("Last-Modified"))
    except ValueError as error:
        raise FetchError(str(error)) from error
    except aiohttp.TooManyRedirects as error:
        raise FetchError(f"more than {MAX_REDIRECTS} redirects") from error
    except aiohttp.NonHttpUrlRedirectClientError as error:
        raise FetchError("redirected to an address that is not http:// or https://") from error
    except TimeoutError as error:
        raise FetchError("timed out (the server was too slow to answer)") from error
    except aiohttp.ClientError as error:
        raise FetchError(f"cannot fetch ({type(error).__name__}: {error})"[:300]) from error


def _too_large(max_bytes: int) -> str:
    return f"too large (the limit is {max_bytes // 1_048_576} MiB)"
