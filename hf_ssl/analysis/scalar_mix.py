"""Scalar-mix weight reports: how much of each layer an ELMo-style mix uses.

ELMo (Peters et al. 2018, §3.2 and §5.2) combines the L + 1 biLM layers of each word as
γ Σ_j softmax(w)_j h_j; after training a task model, the normalised weights say which layers the
task draws on (the paper: lower layers for syntax such as POS, higher for word sense). This reads
every `hf_ssl.layers.ScalarMix` in a model (ELMo, a TagLM or ELMo task model, or a probe of your
own) and reports its softmax weights and γ.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from ..layers.scalar_mix import ScalarMix

__all__ = ["format_scalar_mix_weights", "scalar_mix_weights"]


def scalar_mix_weights(module: nn.Module) -> dict[str, dict[str, Any]]:
    """Every ScalarMix under `module`, by its module path: {"weights": [softmax(w)_j], "gamma": γ}.

    Raises ValueError when the module holds no scalar mix (a model that has none, e.g. BERT).
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"expected a torch.nn.Module, got {type(module).__name__}")
    report = {
        name or "<root>": {
            "weights": [float(w) for w in mix.normalized_weights().detach().cpu()],
            "gamma": float(mix.gamma.detach().cpu()),
        }
        for name, mix in module.named_modules()
        if isinstance(mix, ScalarMix)
    }
    if not report:
        raise ValueError(f"{type(module).__name__} holds no ScalarMix (hf_ssl.layers.ScalarMix) to report")
    return report


def format_scalar_mix_weights(report: dict[str, dict[str, Any]], layer_names: list[str] | None = None) -> str:
    """A markdown table of `scalar_mix_weights`' report: one row per mix, one column per layer."""
    if not report:
        raise ValueError("the report is empty")
    width = max(len(entry["weights"]) for entry in report.values())
    names = layer_names or [f"layer {j}" for j in range(width)]
    if len(names) != width:
        raise ValueError(f"{len(names)} layer names for mixes of {width} layers")
    lines = ["| mix | " + " | ".join(names) + " | γ |", "|---" * (width + 2) + "|"]
    for mix, entry in report.items():
        cells = [f"{w:.3f}" for w in entry["weights"]] + [""] * (width - len(entry["weights"]))
        lines.append(f"| {mix} | " + " | ".join(cells) + f" | {entry['gamma']:.3f} |")
    return "\n".join(lines)
