"""Plain-text pieces of what the bot shows, kept within Discord's limits (no Discord objects here)."""

from __future__ import annotations

import re

from bot.onthisday import DailyPost
from bot.search.engine import Hit

CONTENT_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
FIELD_VALUE_LIMIT = 1024
_MARKDOWN = re.compile(r"([\\*_~`|>#\[\]()-])")
_MENTION = re.compile(r"@(everyone|here|[!&]?\d{15,21})")


def clip(text: str, limit: int) -> str:
    """`text` cut on a word boundary to at most `limit` characters, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if not text[limit - 1].isspace():  # the cut fell inside a word: drop that word
        space = cut.rfind(" ")
        if space > limit // 2:
            cut = cut[:space]
    return cut.rstrip() + "…"


def escape(text: str) -> str:
    """Transcript text made inert: no markdown, and no `@everyone` or `<@id>` that could ping."""
    text = _MARKDOWN.sub(r"\\\1", text)
    return _MENTION.sub("@\u200b\\1", text.replace("<@", "<\u200b@"))


def timestamp(seconds: float | None) -> str:
    """`h:mm:ss` (or `m:ss`) for a number of seconds; empty when unknown."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def quote_description(hit: Hit, limit: int = EMBED_DESCRIPTION_LIMIT) -> str:
    """The quote in bold (matched words underlined) between its neighbouring lines, escaped."""
    speaker = f"**{escape(hit.speaker)}:** " if hit.speaker else ""
    quote = f"{speaker}**{_marked(hit)}**"
    before = f"{escape(clip(hit.context_before, 600))}\n" if hit.context_before else ""
    after = f"\n{escape(clip(hit.context_after, 600))}" if hit.context_after else ""
    text = f"{before}{quote}{after}"
    return text if len(text) <= limit else clip(f"{speaker}**{escape(clip(hit.text, limit - 200))}**", limit)


def _marked(hit: Hit) -> str:
    pieces = []
    position = 0
    for start, end in hit.highlights:
        pieces.append(escape(hit.text[position:start]))
        pieces.append(f"__{escape(hit.text[start:end])}__")
        position = end
    pieces.append(escape(hit.text[position:]))
    return "".join(pieces)


def episode_line(hit: Hit) -> str:
    """`#91 · 2016-11-18 · 0:15` for the embed's episode field."""
    parts = [f"#{hit.number}" if hit.number is not None else None, hit.published, timestamp(hit.start_seconds) or None]
    return " · ".join(p for p in parts if p) or "—"


def hit_title(hit: Hit) -> str:
    """`Show – Episode title`, clipped to an embed title."""
    show = f"{hit.show} – " if hit.show else ""
    return clip(f"{show}{hit.title}", EMBED_TITLE_LIMIT)


def context_description(lines: list[tuple[int, float | None, str | None, str]], focus: int) -> str:
    """Neighbouring lines with their times, the hit's own line in bold, within an embed description."""
    rendered = []
    for segment_id, start, speaker, text in lines:
        stamp = f"`{timestamp(start)}` " if start is not None else ""
        who = f"{escape(speaker)}: " if speaker else ""
        line = escape(clip(text, 700))
        rendered.append(f"{stamp}{who}**{line}**" if segment_id == focus else f"{stamp}{who}{line}")
    return clip("\n".join(rendered), EMBED_DESCRIPTION_LIMIT)


def daily_heading(post: DailyPost) -> str:
    """`On this day, December 11` (or this week / from the archive)."""
    when = f"{post.day:%B} {post.day.day}"
    if post.kind == "week":
        return f"This week in earlier years (around {when})"
    if post.kind == "archive":
        return f"From the archive, for {when}"
    return f"On this day, {when}"


def years_ago(count: int) -> str:
    """`1 year ago` / `5 years ago`."""
    return f"{count} year ago" if count == 1 else f"{count} years ago"
