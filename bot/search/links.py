"""Deep links to a moment in an episode's audio or video."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.ingest.values import checked_url

_YOUTUBE_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be", "music.youtube.com"})


def deep_link(url: str | None, seconds: float | None) -> str | None:
    """`url` opened at `seconds`: YouTube's `t=` parameter, a media fragment `#t=` otherwise.
    Only an http(s) address leaves Rewind: anything else (`javascript:`, plain words) is no link."""
    url = checked_url(url)
    if url is None or seconds is None:
        return url
    parts = urlsplit(url)
    at = int(seconds)
    if parts.hostname in _YOUTUBE_HOSTS:
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "t"]
        return urlunsplit(parts._replace(query=urlencode([*query, ("t", f"{at}s")]), fragment=""))
    return urlunsplit(parts._replace(fragment=f"t={at}"))
