"""Join what several files say about one episode: feed items and transcripts, one show per folder."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import replace

from bot.ports import IndexWriter
from models.episodes import EpisodeFacts, LinkedEpisode
from models.text import tokens

_GUESSED = frozenset({"text", "folder"})


async def relink(store: IndexWriter) -> None:
    """Recompute every episode's shown facts from the documents, joining feeds to transcripts."""
    rows = await store.episode_facts()
    linked = await asyncio.to_thread(link_episodes, rows)  # CPU work (~0.1 s a 15k episodes): off the loop
    await store.save_links(linked)


def link_episodes(rows: list[tuple[int, EpisodeFacts]]) -> list[LinkedEpisode]:
    """Fill transcripts' gaps from matching feed items (same number, same show), hide those items,
    and give the transcripts of one folder one show name."""
    facts_by_id = dict(rows)
    merged = _match_feed_items(rows)
    for item_id, transcript_id in merged.items():
        facts_by_id[transcript_id] = _fill_from(facts_by_id[transcript_id], facts_by_id[item_id])
    for row_id, show in _folder_shows(facts_by_id).items():
        facts_by_id[row_id] = replace(facts_by_id[row_id], show=show)
    spellings = _canonical_shows(facts_by_id.values())
    for row_id, facts in facts_by_id.items():
        if facts.show:
            facts_by_id[row_id] = replace(facts, show=spellings.get(_squash(facts.show), facts.show))
    return [
        LinkedEpisode(row_id, facts_by_id[row_id], shown_title(facts_by_id[row_id]), merged.get(row_id))
        for row_id, _ in rows
    ]


def shown_title(facts: EpisodeFacts) -> str:
    """The episode's own title, else one made from its number."""
    return facts.title or (f"Episode {facts.number}" if facts.number is not None else "Untitled episode")


def _squash(text: str | None) -> str:
    return "".join(tokens(text or ""))


def _same_show(transcript: EpisodeFacts, item: EpisodeFacts) -> bool:
    theirs = _squash(item.show)
    if not theirs:
        return False
    for mine in (_squash(transcript.show), _squash(transcript.folder_show)):
        if mine and (mine.startswith(theirs) or theirs.startswith(mine)):
            return True
    return theirs in _squash(transcript.opening)


def _match_feed_items(rows: list[tuple[int, EpisodeFacts]]) -> dict[int, int]:
    """Map feed-item row ids to the transcript row each one describes."""
    items_by_number: dict[int, list[tuple[int, EpisodeFacts]]] = defaultdict(list)
    items_by_url: dict[str, list[tuple[int, EpisodeFacts]]] = defaultdict(list)
    for row_id, facts in rows:
        if facts.from_listing and facts.number is not None:
            items_by_number[facts.number].append((row_id, facts))
        if facts.from_listing and facts.url:
            items_by_url[facts.url].append((row_id, facts))
    merged: dict[int, int] = {}
    for row_id, facts in rows:
        if facts.from_listing:
            continue
        # The same number in the same show, or else the same media URL (a feed's unnumbered item).
        candidates = items_by_number.get(facts.number, []) if facts.number is not None else []
        candidates = candidates + [pair for pair in items_by_url.get(facts.url or "", []) if pair not in candidates]
        for item_id, item in candidates:
            if item_id not in merged and _same_show(facts, item):
                merged[item_id] = row_id
                break
    return merged


def _fill_from(facts: EpisodeFacts, item: EpisodeFacts) -> EpisodeFacts:
    keep_published = facts.published and facts.published_origin == "explicit"
    return replace(
        facts,
        show=facts.show if facts.show_origin == "explicit" else item.show,
        show_origin=facts.show_origin if facts.show_origin == "explicit" else "listing",
        title=facts.title if facts.title_origin == "explicit" and facts.title else item.title,
        published=facts.published if keep_published else item.published or facts.published,
        duration=facts.duration or item.duration,
        url=facts.url or item.url,
        description=facts.description or item.description,
    )


def _folder_shows(facts_by_id: dict[int, EpisodeFacts]) -> dict[int, str]:
    """Pick one show for the guessed-show transcripts of each folder."""
    folders: dict[str, list[int]] = defaultdict(list)
    for row_id, facts in facts_by_id.items():
        if not facts.from_listing:
            folders[facts.folder].append(row_id)
    chosen: dict[int, str] = {}
    for members in folders.values():
        show = _folder_show([facts_by_id[m] for m in members])
        if show:
            chosen.update({m: show for m in members if facts_by_id[m].show_origin in _GUESSED})
    return chosen


def _folder_show(members: list[EpisodeFacts]) -> str | None:
    linked = Counter(m.show for m in members if m.show_origin == "listing" and m.show)
    if linked:
        return linked.most_common(1)[0][0]
    stated = Counter(m.show for m in members if m.show_origin == "text" and m.show)
    if stated:
        show, count = min(stated.items(), key=lambda pair: (-pair[1], pair[0]))
        if count >= max(2, len(members) / 4):
            return show
    return members[0].folder_show


def _canonical_shows(all_facts: Iterable[EpisodeFacts]) -> dict[str, str]:
    """One spelling per show: a feed's own wins, and a folder-made name that is the start of a
    feed's show name (`Talkpython`, `Talk Python To Me`) is taken to be that show."""
    ranked: dict[str, Counter[str]] = defaultdict(Counter)
    listed: set[str] = set()
    for facts in all_facts:
        if facts.show:
            weight = 1000 if facts.show_origin in ("explicit", "listing") else 1
            ranked[_squash(facts.show)][facts.show] += weight
            if facts.from_listing or facts.show_origin == "listing":
                listed.add(_squash(facts.show))
    spellings = {key: counter.most_common(1)[0][0] for key, counter in ranked.items()}
    for key in list(spellings):
        if key not in listed:
            owner = next((other for other in sorted(listed) if other.startswith(key) and key), None)
            if owner:
                spellings[key] = spellings[owner]
    return spellings
