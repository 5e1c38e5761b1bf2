"""Load bilm-tf / AllenNLP ELMo files (options.json + hdf5 weights) into hf_ssl's ELMo.

Layout of the hdf5 file (bilm-tf bilm/training.py:1065-1108 `dump_weights`, read back in
bilm/model.py:186-242 and allennlp/modules/elmo.py, elmo_lstm.py:261-326):

    char_embed                                  (261, d)   no row for id 0: a zero row is prepended
    CNN/W_cnn_{i}, CNN/b_cnn_{i}                (1, w, d, n), (n,)
    CNN_high_{k}/W_transform, b_transform       (F, F), (F,)   x @ W: transposed for nn.Linear
    CNN_high_{k}/W_carry, b_carry               (F, F), (F,)   bilm-tf's gate is the paper's transform
                                                               gate, as hf_ssl's Highway: no negation
                                                               (AllenNLP negates for its carry gate)
    CNN_proj/W_proj, b_proj                     (F, P), (P,)
    RNN_{0 fwd|1 bwd}/RNN/MultiRNNCell/Cell{l}/LSTMCell/
        W_0   (I + P, 4C)  [W; U] stacked, gates i, j, f, o -> ours i, f, j, o
        B     (4C,)        TF adds forget_bias=1 at run time: +1 on the forget slice
        W_P_0 (C, P)

The declarative table below maps every hf_ssl biLM parameter to its hdf5 dataset and transform;
loading is strict both ways (every dataset consumed, every biLM parameter produced). The softmax is
not stored in the file (bilm-tf README), nor are the scalar mixes (task parameters).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from typing import Any

import torch

from .configuration_elmo import ElmoConfig

logger = logging.getLogger(__name__)

Transform = Callable[[list[torch.Tensor]], torch.Tensor]
TF_TO_TORCH_GATES = (0, 2, 1, 3)
"""TF's LSTMCell packs gates i, j (candidate), f, o; PyTorch and hf_ssl use i, f, j, o."""
TF_FORGET_GATE = 2
TF_FORGET_BIAS = 1.0
TRAINING_N_CHARACTERS = 261


def config_from_options(options: dict[str, Any], **overrides: Any) -> ElmoConfig:
    """options.json (dict) -> ElmoConfig; keyword overrides win (e.g. vocab_size, num_labels)."""
    try:
        lstm, cnn = options["lstm"], options["char_cnn"]
        fields: dict[str, Any] = {
            "n_characters": cnn["n_characters"],
            "max_characters_per_token": cnn["max_characters_per_token"],
            "char_embedding_dim": cnn["embedding"]["dim"],
            "filters": [list(f) for f in cnn["filters"]],
            "char_activation": cnn["activation"],
            "n_highway": cnn["n_highway"],
            "projection_dim": lstm["projection_dim"],
            "lstm_dim": lstm["dim"],
            "n_layers": lstm["n_layers"],
            "cell_clip": lstm.get("cell_clip"),
            "proj_clip": lstm.get("proj_clip"),
            "use_skip_connections": bool(lstm.get("use_skip_connections", False)),
        }
    except KeyError as error:
        raise ValueError(
            f"options.json lacks {error}; expected bilm-tf's 'lstm' and 'char_cnn' sections"
        ) from error
    if fields["n_characters"] == TRAINING_N_CHARACTERS:
        # The training-time value: inference ids are shifted by one (0 = padding), and the loader
        # prepends that zero row to char_embed, as bilm-tf's README asks users to do by hand.
        logger.info("options.json has n_characters=261 (training); using 262 for the +1-shifted ids")
        fields["n_characters"] = TRAINING_N_CHARACTERS + 1
    if "n_tokens_vocab" in options:
        fields["vocab_size"] = options["n_tokens_vocab"]
    if "dropout" in options:
        fields["dropout"] = options["dropout"]
    fields.update(overrides)
    return ElmoConfig(**fields)


def _t(tensors: list[torch.Tensor]) -> torch.Tensor:
    return tensors[0].t().contiguous()


def _char_embed(tensors: list[torch.Tensor]) -> torch.Tensor:
    return torch.cat([tensors[0].new_zeros(1, tensors[0].shape[1]), tensors[0]])  # (262, d)


def _conv(tensors: list[torch.Tensor]) -> torch.Tensor:
    return tensors[0].squeeze(0).permute(2, 1, 0).contiguous()  # (1, w, d, n) -> (n, d, w)


def _reorder_gates(rows: torch.Tensor) -> torch.Tensor:
    return torch.cat([rows.chunk(4, dim=0)[g] for g in TF_TO_TORCH_GATES], dim=0)


def _lstm_weight(part: str, input_size: int) -> Transform:
    def transform(tensors: list[torch.Tensor]) -> torch.Tensor:
        weight = tensors[0].t()  # (4C, I + P)
        weight = weight[:, :input_size] if part == "input" else weight[:, input_size:]
        return _reorder_gates(weight).contiguous()

    return transform


def _lstm_bias(tensors: list[torch.Tensor]) -> torch.Tensor:
    bias = tensors[0].clone()
    gates = bias.chunk(4)
    gates[TF_FORGET_GATE].add_(TF_FORGET_BIAS)  # chunk returns views: this edits `bias`
    return _reorder_gates(bias)


def bilm_weight_table(config: ElmoConfig) -> list[tuple[str, str, Transform]]:
    """(hf_ssl biLM parameter, hdf5 dataset, transform) for every biLM parameter."""
    table: list[tuple[str, str, Transform]] = [
        ("token_encoder.char_cnn.embedding.weight", "char_embed", _char_embed)
    ]
    for i in range(len(config.char_filters)):
        table.append((f"token_encoder.char_cnn.convolutions.{i}.weight", f"CNN/W_cnn_{i}", _conv))
        table.append((f"token_encoder.char_cnn.convolutions.{i}.bias", f"CNN/b_cnn_{i}", lambda t: t[0]))
    for k in range(config.n_highway):
        for ours, theirs in (("transforms", "transform"), ("gates", "carry")):
            table.append((f"token_encoder.highway.{ours}.{k}.weight", f"CNN_high_{k}/W_{theirs}", _t))
            table.append(
                (f"token_encoder.highway.{ours}.{k}.bias", f"CNN_high_{k}/b_{theirs}", lambda t: t[0])
            )
    table.append(("token_encoder.projection.weight", "CNN_proj/W_proj", _t))
    table.append(("token_encoder.projection.bias", "CNN_proj/b_proj", lambda t: t[0]))
    for direction, stack in ((0, "forward_lstm"), (1, "backward_lstm")):
        for layer in range(config.n_layers):
            ours = f"{stack}.layers.{layer}."
            theirs = f"RNN_{direction}/RNN/MultiRNNCell/Cell{layer}/LSTMCell/"
            table += [
                (ours + "input_linear.weight", theirs + "W_0", _lstm_weight("input", config.projection_dim)),
                (ours + "state_linear.weight", theirs + "W_0", _lstm_weight("state", config.projection_dim)),
                (ours + "state_linear.bias", theirs + "B", _lstm_bias),
                (ours + "projection.weight", theirs + "W_P_0", _t),
            ]
    return table


def read_hdf5(weight_file: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """Every dataset of an hdf5 file, by its full path."""
    try:
        import h5py
    except ImportError as error:
        raise ImportError("reading bilm-tf weights needs h5py: pip install 'hf_ssl[elmo]'") from error
    tensors: dict[str, torch.Tensor] = {}

    def visit(name: str, item: Any) -> None:
        if isinstance(item, h5py.Dataset):
            tensors[name] = torch.from_numpy(item[...]).float()

    with h5py.File(weight_file, "r") as handle:
        handle.visititems(visit)
    return tensors


def bilm_state_dict(weights: dict[str, torch.Tensor], config: ElmoConfig) -> dict[str, torch.Tensor]:
    """hdf5 tensors -> the biLM's state dict, strictly: unknown or unused datasets raise."""
    state, used = {}, set()
    for ours, theirs, transform in bilm_weight_table(config):
        if theirs not in weights:
            raise ValueError(f"weight file lacks {theirs!r} (needed for {ours}); does options.json match it?")
        state[ours] = transform([weights[theirs]])
        used.add(theirs)
    unused = sorted(set(weights) - used)
    if unused:
        raise ValueError(f"weight file has datasets no hf_ssl parameter takes: {unused}")
    return state


def load_bilm_tf(
    model_class: type,
    options_file: str | os.PathLike[str],
    weight_file: str | os.PathLike[str],
    **overrides: Any,
) -> Any:
    with open(options_file) as handle:
        config = config_from_options(json.load(handle), **overrides)
    model = model_class(config)
    bilm = model._bilm_owner().bilm
    state = bilm_state_dict(read_hdf5(weight_file), config)
    expected = set(bilm.state_dict())
    if set(state) != expected:
        raise ValueError(
            f"biLM parameters not produced: {sorted(expected - set(state))}; "
            f"produced but unknown: {sorted(set(state) - expected)}"
        )
    for name, tensor in bilm.state_dict().items():
        if tensor.shape != state[name].shape:
            raise ValueError(
                f"{name}: file gives {tuple(state[name].shape)}, model has {tuple(tensor.shape)}"
            )
    with torch.no_grad():
        bilm.load_state_dict(state, strict=True)
    return model.eval()
