"""Deep links to a moment in an episode's audio or video."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_YOUTUBE_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be", "music.youtube.com"})


def deep_link(url: str | None, seconds: float | None) -> str | None:
    """`url` opened at `seconds`: YouTube's `t=` parameter, a media fragment `#t=` otherwise."""
    if not url:
        return None
    if seconds is None:
        return url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return url
    at = int(seconds)
    if parts.hostname in _YOUTUBE_HOSTS:
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "t"]
        return urlunsplit(parts._replace(query=urlencode([*query, ("t", f"{at}s")]), fragment=""))
    return urlunsplit(parts._replace(fragment=f"t={at}"))
