"""Paging buttons that only the member who asked can use, and that keep working after a restart.

A message's pages are stored in the database (`Store.save_pager`); each button's custom_id says
which pager, what the button does and which page it leads to (`rw:17:next:3:0`), so any running
bot process can answer a press with no memory of the message.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from bot import limits, render
from bot.search.engine import Hit
from ui.embeds import NO_MENTIONS, hit_embed
from ui.replies import funnelled

if TYPE_CHECKING:
    from bot.ports import Pagers

EXPIRED = "These buttons have expired; run the command again."
PER_PAGE = 15  # episodes a page
CONTEXT_RADIUS = 3


async def hits_payload(store: Pagers, hits: list[Hit]) -> str:
    """The hits as a pager stores them, each with its anchor: a reindex replaces segment ids, not
    where a line sits in its file."""
    anchors = await store.segment_anchors([hit.segment_id for hit in hits])
    stored = [{**dataclasses.asdict(hit), "anchor": anchors.get(hit.segment_id)} for hit in hits]
    return json.dumps({"version": PAYLOAD_VERSION, "hits": stored})


def episodes_payload(title: str, lines: list[str]) -> str:
    return json.dumps({"version": PAYLOAD_VERSION, "title": title, "lines": lines})


def _stored_hit(data: dict[str, Any]) -> Hit:
    known = {f.name for f in dataclasses.fields(Hit)}
    fields = {key: value for key, value in data.items() if key in known}
    return Hit(**{**fields, "highlights": tuple(tuple(span) for span in fields.get("highlights", ()))})


async def _hit_page(store: Pagers, payload: Any, index: int, wide: bool) -> tuple[discord.Embed, int]:
    hits = payload["hits"]
    index = min(index, len(hits) - 1)
    hit, anchor = _stored_hit(hits[index]), hits[index]["anchor"]
    embed = hit_embed(hit)
    lines = await store.context_at(tuple(anchor), CONTEXT_RADIUS) if wide and anchor else []
    if lines:  # the file may have changed or gone since: then the hit as it was stays shown
        embed.description = render.context_description(lines, anchor[2])
    return embed.set_footer(text=f"Hit {index + 1} of {len(hits)}"), len(hits)


async def _episode_page(store: Pagers, payload: Any, index: int, wide: bool) -> tuple[discord.Embed, int]:
    lines: list[str] = payload["lines"]
    count = max(1, -(-len(lines) // PER_PAGE))
    index = min(index, count - 1)
    shown = lines[index * PER_PAGE : (index + 1) * PER_PAGE]
    description = limits.clip("\n".join(shown), limits.EMBED_DESCRIPTION_LIMIT)
    embed = discord.Embed(title=limits.clip(payload["title"], limits.EMBED_TITLE_LIMIT), description=description)
    return embed.set_footer(text=f"Page {index + 1} of {count} · {len(lines)} episodes"), count


PAGES: dict[str, Callable[[Pagers, Any, int, bool], Awaitable[tuple[discord.Embed, int]]]] = {
    "hits": _hit_page,
    "episodes": _episode_page,
}


PAYLOAD_VERSION = 2  # of what a pager stores; a pager of another version has expired


TEMPLATE = r"rw:(?P<pager>\d+):(?P<action>[a-z]+):(?P<index>\d+):(?P<wide>[01])"
LOOKS = {
    "prev": ("Previous", "◀️"),
    "next": ("Next", "▶️"),
    "wide": ("More context", "📜"),
    "post": ("Post to channel", "📢"),
}


class PageButton(discord.ui.DynamicItem[discord.ui.Button], template=TEMPLATE):
    """One button of a pager; its custom_id holds the state it leads to."""

    def __init__(self, pager: int, action: str, index: int, wide: bool, *, disabled: bool = False) -> None:
        label, emoji = LOOKS.get(action, ("?", None))
        if action == "wide" and not wide:
            label = "Less context"
        self.pager, self.action, self.index, self.wide = pager, action, index, wide
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji=emoji,
                style=discord.ButtonStyle.secondary,
                disabled=disabled,
                custom_id=f"rw:{pager}:{action}:{index}:{int(wide)}",
            )
        )

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: Any) -> PageButton:
        return cls(int(match["pager"]), match["action"], int(match["index"]), match["wide"] == "1")

    @funnelled
    async def callback(self, interaction: discord.Interaction) -> None:
        store: Pagers = interaction.client.store  # type: ignore[attr-defined]
        stored = await store.pager(self.pager)
        payload = json.loads(stored[2]) if stored is not None else None
        if stored is None or stored[1] not in PAGES or not _current(payload):
            await interaction.response.send_message(EXPIRED, ephemeral=True)
            return
        owner, kind = stored[0], stored[1]
        if interaction.user.id != owner:
            await interaction.response.send_message(
                "Only the member who asked can use these buttons; run the command yourself.", ephemeral=True
            )
            return
        embed, count = await PAGES[kind](store, payload, self.index, self.wide)
        if self.action == "post":  # from a private answer to everyone in the channel
            await interaction.response.send_message(embed=embed, allowed_mentions=NO_MENTIONS)
            return
        view = page_view(self.pager, kind, self.index, self.wide, count, private=_is_private(interaction))
        await interaction.response.edit_message(embed=embed, view=view, allowed_mentions=NO_MENTIONS)


def _current(payload: Any) -> bool:
    return isinstance(payload, dict) and payload.get("version") == PAYLOAD_VERSION


def _is_private(interaction: discord.Interaction) -> bool:
    message = interaction.message
    return message is not None and message.flags.ephemeral


def page_view(pager: int, kind: str, index: int, wide: bool, count: int, *, private: bool) -> discord.ui.View:
    """The buttons under page `index` of `count`: Previous and Next, for hits the context toggle,
    and on a private answer a button to post the page to the channel."""
    view = discord.ui.View(timeout=None)
    view.add_item(PageButton(pager, "prev", max(0, index - 1), wide, disabled=index == 0))
    view.add_item(PageButton(pager, "next", min(count - 1, index + 1), wide, disabled=index >= count - 1))
    if kind == "hits":
        view.add_item(PageButton(pager, "wide", index, not wide))
    if private:
        view.add_item(PageButton(pager, "post", index, wide))
    return view


async def first_page(
    store: Pagers, owner_id: int, kind: str, payload: str, *, private: bool = False
) -> tuple[discord.Embed, discord.ui.View]:
    """Store a new pager and render its first page with its buttons."""
    pager = await store.save_pager(owner_id, kind, payload)
    embed, count = await PAGES[kind](store, json.loads(payload), 0, False)
    return embed, page_view(pager, kind, 0, False, count, private=private)
