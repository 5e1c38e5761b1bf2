"""Is a graph being recorded? Code that reads tensor values on the host asks this first."""

from __future__ import annotations

import torch


def value_checks_enabled() -> bool:
    """False while torch.compile, torch.export (and `torch.onnx.export(..., dynamo=True)`, built on
    it), torch.jit.trace or a CUDA graph capture records the forward; True in eager mode.

    Every check that reads tensor values goes through this, because reading a value on the host
    (`int(t.max())`, `.item()`, `bool(t.any())`) is data-dependent Python control flow: torch.export
    and the dynamo ONNX exporter refuse it (GuardOnDataDependentSymNode), torch.jit.trace would bake
    one batch's answer into the graph, torch.compile breaks the graph there, and on a GPU each read is
    a device-to-host sync that a compiled graph exists to avoid. `torch._check(t.max().item() < n)`
    would keep the checks as runtime asserts instead, but each still needs that sync and loses the
    message naming the bad value. A traced graph therefore trusts its values (an out-of-range id then
    fails in the embedding lookup, as in torch); eager calls keep every check and its message.
    """
    if torch.compiler.is_compiling() or torch.jit.is_tracing():  # compile, export (strict or not), trace
        return False
    return not (torch.cuda.is_available() and torch.cuda.is_current_stream_capturing())
