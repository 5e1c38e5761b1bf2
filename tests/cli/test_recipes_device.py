"""`hf-ssl pretrain` / `finetune` train on CUDA where a GPU exists and on the CPU otherwise."""

from __future__ import annotations

import torch

from hf_ssl.recipes.common import _training_args, device_arguments


def test_training_arguments_use_the_cpu_only_without_a_gpu(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert device_arguments() == {"use_cpu": False}
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert device_arguments() == {"use_cpu": True}
    assert _training_args(str(tmp_path)).use_cpu is True
