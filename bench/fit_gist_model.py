"""Fit the gist's word model: a Poisson regression of show notes' word counts on transcript features.

    python bench/fit_gist_model.py [--keep DIR]

Needs `pip install -e '.[bench]'` (numpy comes with rouge-score). For each Talk Python pair of
../shared/eval/summaries, the features of every stem said in the transcript's body
(`bot.summary.gist.word_features`) are matched with that stem's count in the human show notes.
Prints the coefficients fitted on all episodes (paste them into `gist.COEFFICIENTS`), then scores
the gist of each episode's body with coefficients fitted on the other episodes only, so the score
is not measured on the notes the model learned from.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import summary_eval  # noqa: E402

from bot.search.engine import Searcher  # noqa: E402
from bot.summary import gist, summarize  # noqa: E402
from bot.summary.units import stem, units_of  # noqa: E402
from models.text import tokens  # noqa: E402


def poisson_fit(features: np.ndarray, counts: np.ndarray, steps: int = 4000, rate: float = 0.05) -> np.ndarray:
    """Coefficients maximising the Poisson likelihood (lightly ridge-penalised), by gradient descent."""
    coefficients = np.zeros(features.shape[1])
    for _ in range(steps):
        mean = np.exp(np.clip(features @ coefficients, -20, 5))
        gradient = features.T @ (mean - counts) / len(counts) + 1e-3 * coefficients
        coefficients -= rate * gradient
    return coefficients


def training_rows(text, reference: str) -> tuple[np.ndarray, np.ndarray]:
    features = gist.word_features(units_of(summary_eval.body(text).segments), text.title)
    wanted = Counter(stem(w) for w in tokens(reference))
    stems = sorted(features)
    return np.array([features[s] for s in stems]), np.array([wanted[s] for s in stems], dtype=float)


async def fit(store) -> None:
    pairs = [p for p in await summary_eval.pairs_of(store) if p[0].startswith("talkpython")]
    rows = {name: training_rows(text, reference) for name, text, reference in pairs}

    def fitted(names: list[str]) -> np.ndarray:
        return poisson_fit(np.vstack([rows[n][0] for n in names]), np.concatenate([rows[n][1] for n in names]))

    everything = fitted(list(rows))
    print("COEFFICIENTS =", tuple(round(float(c), 2) for c in everything))
    vocabulary = await Searcher(store).vocabulary()
    scores = []
    for name, text, reference in pairs:
        gist.COEFFICIENTS = tuple(fitted([n for n in rows if n != name]))
        generated = summary_eval.body(replace(text, description=None))  # the gist, not the notes
        made = summarize(generated, vocabulary.documents, vocabulary.segments)
        scores.append(summary_eval.all_metrics(summary_eval.clip_words([m.text for m in made.gist]), reference))
    r1, r2, c1 = (statistics.mean(s[k] for s in scores) for k in ("R1", "R2", "cR1"))
    print(f"body gists, each episode's notes left out (n={len(scores)}): R1 {r1:.1f} R2 {r2:.1f} cR1 {c1:.1f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="as for bench/summary_eval.py")
    async with summary_eval.evaluation_store(parser.parse_args().keep) as (store, _):
        await fit(store)


if __name__ == "__main__":
    asyncio.run(main())
