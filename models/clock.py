"""The one clock: what "now" is, so tests can stand in a clock of their own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    """The real clock."""
    return dt.datetime.now(dt.UTC)


def now_text(clock: Clock = utc_now) -> str:
    """The current UTC time as the database stores it (sorts as text)."""
    return clock().isoformat(timespec="seconds")
