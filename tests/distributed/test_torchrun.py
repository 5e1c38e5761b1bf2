"""torchrun with 2 CPU processes (gloo) trains like one process with the same global batch.

DDP through Trainer for a tiny BERT (MLM) and a tiny GPT (causal LM) gives the
single-process losses and weights within float tolerance; FSDP2 wraps each model's
``_no_split_modules`` layers and trains to the same result; collators seeded alike draw different
masks on the two ranks. One launch runs everything (about 30 s
on 2 shared cores): the machine is small, so this module has a single test.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.distributed import train_tiny

SCRIPT = Path(train_tiny.__file__)
NUM_PROCESSES = 2
LAUNCH_TIMEOUT_S = 240
# Summation order differs between one process and two (gradient all-reduce, sharded reduce-scatter).
ATOL = 1e-4


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _launch(output: Path) -> dict:
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        str(NUM_PROCESSES),
        "--master_addr",
        "127.0.0.1",
        "--master_port",
        str(_free_port()),
        str(SCRIPT),
        "--out",
        str(output),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(SCRIPT.parents[2])}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=LAUNCH_TIMEOUT_S)
    errors = [line for line in done.stderr.splitlines() if line.startswith("[rank0]")]
    assert done.returncode == 0, "\n".join(errors[-20:]) or done.stderr[-4000:]
    return torch.load(output / "result.pt")


def _assert_same_training(parallel: dict, single: dict) -> None:
    assert len(parallel["losses"]) == len(single["losses"]) == train_tiny.MAX_STEPS
    assert parallel["losses"] == pytest.approx(single["losses"], abs=ATOL)
    assert parallel["state"].keys() == single["state"].keys()
    for key, value in single["state"].items():
        torch.testing.assert_close(parallel["state"][key], value, atol=ATOL, rtol=0, msg=key)


def test_two_process_ddp_and_fsdp_train_bert_and_gpt_like_one_process(tmp_path):
    result = _launch(tmp_path)
    assert result["world_size"] == NUM_PROCESSES
    assert result["backend"] == "gloo"
    torch.set_num_threads(1)
    for name in train_tiny.MODELS:
        ddp = result["ddp"][name]
        assert ddp["wrapper"] == "DistributedDataParallel"
        _assert_same_training(ddp, train_tiny.train(name, tmp_path / "single"))

        fsdp = result["fsdp"][name]
        torch.manual_seed(train_tiny.SEED)
        model = train_tiny.tiny_model(name)
        layers = {f"FSDP{cls}" for cls in model._no_split_modules}
        assert {f"FSDP{type(model).__name__}", *layers} <= set(fsdp["wrapped"])
        _assert_same_training(fsdp, train_tiny.train_sharded(name))
        initial = model.state_dict()
        assert any(not torch.equal(fsdp["state"][key], value) for key, value in initial.items())
    first, second = result["stream_masks"]
    assert first != second, "both ranks masked the same positions"
    # A pinned limitation: if this starts failing, accelerate shards on CPU and Trainer's own FSDP
    # path can replace the plain loop in train_tiny.train_sharded.
    assert result["trainer_fsdp_on_cpu"] is False
