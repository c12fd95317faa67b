"""A generated podcast catalogue for the benchmarks: Zipf-distributed words in timestamped lines."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

WORDS = (
    "the of and to a in that is it you for was on are with as i his they be at one have this from or had by "
    "not word but what some we can out other were all there when up use your how said an each she which do "
    "their time if will way about many then them write would like so these her long make thing see him two "
    "has look more day could go come did number sound no most people my over know water than call first who "
    "may down side been now find python data model search index latency release cache query episode podcast "
    "transcript listener guest dopamine machine learning server database bug test deploy async loop thread"
).split()


def vocabulary(size: int, rng: random.Random) -> list[str]:
    """Common English words first, then pronounceable made-up words, in Zipf rank order."""
    syllables = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"] + ["an", "er", "in", "on", "or", "th"]
    invented = {"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(size * 2)}
    return (WORDS + sorted(invented))[:size]


def generate_catalogue(folder: Path, episodes: int, per_episode: int, seed: int = 7, vocab: int = 40_000) -> None:
    """Write `episodes` transcripts of `per_episode` timestamped sentences each, Zipf-distributed words."""
    rng = random.Random(seed)
    words_by_rank = vocabulary(vocab, rng)
    weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words_by_rank))))
    for number in range(1, episodes + 1):
        lines = []
        for position in range(per_episode):
            words = rng.choices(words_by_rank, cum_weights=weights, k=rng.randint(8, 24))
            seconds = position * 2
            stamp = f"{seconds // 3600:02}:{seconds // 60 % 60:02}:{seconds % 60:02}"
            lines.append(f"{stamp} {' '.join(words).capitalize()}.\n")
        (folder / f"{number:04}-generated-episode.txt").write_text("\n".join(lines), encoding="utf-8")
