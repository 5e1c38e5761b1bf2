"""BERT, GPT and BART through torch.export, the dynamo ONNX exporter and torch.compile(fullgraph=True).

Input validation reads tensor values (ids in range, a 0/1 mask) only in eager mode
(`hf_ssl.models.validation.value_checks_enabled`): before that, `int(input_ids.min())` on every
forward made torch.export fail with GuardOnDataDependentSymNode. Each graph is traced on one batch
size and length and compared with eager on another, so the dynamic shapes are exercised too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torch.export import Dim
from torch.utils import _pytree as pytree
from transformers import PreTrainedModel

import hf_ssl

from .tiny import VOCAB, make_model

MODELS = {
    "bert": hf_ssl.BertModel,
    "gpt2": hf_ssl.GPTLMHeadModel,
    "bart": hf_ssl.BartForConditionalGeneration,
}
TRACED, COMPARED = (2, 7), (3, 11)  # (batch, length) of the example input and of the check input


def tiny_model(family: str) -> PreTrainedModel:
    model = make_model(family, MODELS[family]).eval()
    model.config.use_cache = False  # no cache: the graph maps ids to logits and states only
    return model


def batch(family: str, size: tuple[int, int], seed: int) -> dict[str, torch.Tensor]:
    """Random ids with the first row right-padded by two; BART's decoder is one token shorter."""
    g = torch.Generator().manual_seed(seed)
    rows, length = size
    ids = torch.randint(5, VOCAB, (rows, length), generator=g)
    mask = torch.ones_like(ids)
    mask[0, -2:] = 0
    inputs = {"input_ids": ids, "attention_mask": mask}
    if family == "bart":
        inputs["decoder_input_ids"] = torch.randint(5, VOCAB, (rows, length - 1), generator=g)
    return inputs


def dynamic_shapes(model: PreTrainedModel, inputs: dict[str, torch.Tensor]) -> dict[str, Any]:
    rows = Dim("batch", min=1, max=8)
    limit = model.config.max_position_embeddings
    length = Dim("length", min=2, max=limit)
    shapes: dict[str, Any] = {name: {0: rows, 1: length} for name in inputs}
    if "decoder_input_ids" in inputs:
        shapes["decoder_input_ids"] = {0: rows, 1: Dim("decoder_length", min=1, max=limit)}
    return shapes


def tensors(output: Any) -> list[torch.Tensor]:
    """Every tensor of a ModelOutput, in pytree order (the order the exported graphs return them)."""
    return [leaf for leaf in pytree.tree_leaves(output) if torch.is_tensor(leaf)]


def eager(model: PreTrainedModel, inputs: dict[str, torch.Tensor]) -> list[torch.Tensor]:
    with torch.no_grad():
        return tensors(model(**inputs))


def assert_eager_still_validates(model: PreTrainedModel, inputs: dict[str, torch.Tensor]) -> None:
    bad_id = dict(inputs, input_ids=inputs["input_ids"].clone())
    bad_id["input_ids"][1, 3] = model.config.vocab_size
    with pytest.raises(ValueError, match=rf"input_ids contains {VOCAB}; expected ids in \[0, vocab_size"):
        model(**bad_id)
    bad_mask = dict(inputs, attention_mask=inputs["attention_mask"] * 2)
    with pytest.raises(ValueError, match="attention_mask contains 2"):
        model(**bad_mask)


@pytest.mark.parametrize("family", list(MODELS))
def test_exported_program_matches_eager_on_another_shape_and_eager_still_validates(family):
    model = tiny_model(family)
    example = batch(family, TRACED, seed=0)
    program = torch.export.export(model, (), kwargs=example, dynamic_shapes=dynamic_shapes(model, example))
    inputs = batch(family, COMPARED, seed=1)
    with torch.no_grad():
        got = tensors(program.module()(**inputs))
    want = eager(model, inputs)
    assert [t.shape for t in got] == [t.shape for t in want]
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g, w, atol=1e-5, rtol=0)
    assert_eager_still_validates(model, inputs)


@pytest.mark.filterwarnings("ignore:# The axis name")  # the exporter reports that it merged our Dim names
@pytest.mark.parametrize("family", list(MODELS))
def test_dynamo_onnx_export_runs_in_onnxruntime_like_eager(family, tmp_path: Path):
    pytest.importorskip("onnx", reason="the ONNX exporter needs the onnx package")
    pytest.importorskip("onnxscript", reason="the dynamo ONNX exporter needs the onnxscript package")
    ort = pytest.importorskip("onnxruntime", reason="running the ONNX graph needs the onnxruntime package")
    model = tiny_model(family)
    example = batch(family, TRACED, seed=0)
    path = tmp_path / f"{family}.onnx"
    torch.onnx.export(
        model,
        (),
        str(path),
        kwargs=example,
        dynamic_shapes=dynamic_shapes(model, example),
        dynamo=True,
        verbose=False,
    )
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    inputs = batch(family, COMPARED, seed=1)
    got = session.run(None, {i.name: inputs[i.name].numpy() for i in session.get_inputs()})
    want = eager(model, inputs)
    assert [tuple(g.shape) for g in got] == [tuple(w.shape) for w in want]
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(torch.from_numpy(g), w, atol=1e-4, rtol=0)
    assert_eager_still_validates(model, inputs)


@pytest.mark.parametrize("family", list(MODELS))
def test_compiled_forward_has_no_graph_break_and_matches_eager(family):
    model = tiny_model(family)
    inputs = batch(family, COMPARED, seed=1)
    compiled = torch.compile(model, fullgraph=True, backend="eager")  # fullgraph: a graph break raises
    try:
        with torch.no_grad():
            got = tensors(compiled(**inputs))
    finally:
        torch.compiler.reset()
    for g, w in zip(got, eager(model, inputs), strict=True):
        torch.testing.assert_close(g, w, atol=1e-5, rtol=0)
    assert_eager_still_validates(model, inputs)


@pytest.mark.parametrize("family", ["bert", "gpt2"])
def test_packed_rows_and_labels_export_like_eager(family):
    """Two documents a row (position_ids restart at 0) and, for the LM, labels with their loss."""
    model = tiny_model(family)
    inputs = batch(family, (2, 8), seed=0)
    inputs["attention_mask"] = torch.ones_like(inputs["input_ids"])
    inputs["position_ids"] = torch.tensor([[0, 1, 2, 0, 1, 2, 3, 4], [0, 1, 2, 3, 4, 5, 0, 1]])
    if family == "gpt2":
        inputs["labels"] = inputs["input_ids"].clone()
    program = torch.export.export(model, (), kwargs=inputs)
    with torch.no_grad():
        got = tensors(program.module()(**inputs))
    want = eager(model, inputs)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g, w, atol=1e-5, rtol=0)
