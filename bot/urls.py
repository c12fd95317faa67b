"""What counts as a web address in Rewind: http(s) with a host, no spaces or controls, at most 2000 characters.

A leaf (standard library only), so the settings, the parsers, the fetcher and the links all share one rule.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

MAX_URL_CHARS = 2000


def checked_url(value: object) -> str | None:
    """An http(s) link with a host that parses, without spaces or controls; else None."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or len(url) > MAX_URL_CHARS or any(c.isspace() or unicodedata.category(c)[0] == "C" for c in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is no number
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and host else None


def required_url(url: str) -> str:
    """The URL without surrounding space; ValueError unless it is an http(s) address with a host."""
    checked = checked_url(url)
    if checked is None:
        raise ValueError(f"{url.strip()[:200]!r} is not an http:// or https:// address")
    return checked
