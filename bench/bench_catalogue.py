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


def real_lines(folder: Path) -> list[list[str]]:
    """The words of every caption line (4+ words) in the transcripts under `folder`, in file order."""
    from bot.ingest.indexer import read_document  # the bench's own import path, kept out of the generator above

    lines = []
    for path in sorted(folder.rglob("*")):
        if path.suffix not in {".vtt", ".srt", ".txt"} or not path.is_file():
            continue
        try:
            document = read_document(path)
        except ValueError:
            continue
        for episode in document.episodes:
            lines += [words for s in episode.segments if len(words := s.text.split()) >= 4]
    return lines


def generate_sentence_catalogue(
    folder: Path, episodes: int, per_episode: int, lines: list[list[str]], seed: int = 7
) -> None:
    """Write `episodes` transcripts of lines spliced from two real lines each (the head of one, the
    tail of another), half of them with one word swapped for a made-up name or term: an archive
    keeps meeting new names, so the vocabulary grows with it (about one new term per 16 lines)."""
    rng = random.Random(seed)
    names = vocabulary(len(WORDS) + max(1_000, episodes * per_episode // 16), rng)[len(WORDS) :]
    weights = list(itertools.accumulate(1 / (rank + 1) ** 0.8 for rank in range(len(names))))
    for number in range(1, episodes + 1):
        rows = []
        for position in range(per_episode):
            words: list[str] = []
            while len(words) < 5:  # shorter lines would join the next one: one line is one segment
                head, tail = rng.choice(lines), rng.choice(lines)
                words = (head[: rng.randint(2, len(head))] + tail[rng.randint(1, len(tail) - 2) :])[:30]
            if rng.random() < 0.5:
                at = rng.randrange(len(words))
                words[at] = rng.choices(names, cum_weights=weights)[0]
            seconds = position * 2
            stamp = f"{seconds // 3600:02}:{seconds // 60 % 60:02}:{seconds % 60:02}"
            line = " ".join(words)
            rows.append(f"{stamp} {line if line.endswith(('.', '?', '!')) else line + '.'}\n")
        (folder / f"{number:04}-generated-episode.txt").write_text("\n".join(rows), encoding="utf-8")
