"""An interrupted Trainer checkpoint save leaves the previous checkpoint resumable and none half-written.

Plain Trainer writes ``checkpoint-N`` file by file and resumes from the
highest N whatever state it is in; ``SafeCheckpointTrainer`` removes a save that raised and skips a
save that was killed (no trainer_state.json, which Trainer writes last). save_pretrained's own
atomicity is covered in tests/test_checkpoint_integrity.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from transformers import Trainer, TrainingArguments
from transformers.trainer_utils import get_last_checkpoint

import hf_ssl
from hf_ssl.objectives import MaskedLMCollator
from hf_ssl.trainer import (
    ResumableNoiseCallback,
    SafeCheckpointTrainer,
    is_complete_checkpoint,
    last_complete_checkpoint,
)

VOCAB, PAD, MASK = 100, 0, 1
MAX_STEPS, SAVE_STEPS = 4, 2
# What a kill leaves after each stage of Trainer._save_checkpoint (model, optimizer, rng, state).
KILLED_AFTER_MODEL = ("optimizer.pt", "scheduler.pt", "rng_state.pth", "trainer_state.json")
KILLED_BEFORE_STATE = ("trainer_state.json",)


def _trainer(cls: type[Trainer], output: Path) -> Trainer:
    torch.manual_seed(0)
    config = hf_ssl.BertConfig(
        vocab_size=VOCAB, hidden_size=32, num_hidden_layers=1, num_attention_heads=4, intermediate_size=64
    )
    collator = MaskedLMCollator(vocab_size=VOCAB, mask_token_id=MASK, pad_token_id=PAD, seed=0)
    data = [{"input_ids": list(range(2 + i, 14 + i))} for i in range(16)]
    args = TrainingArguments(
        output_dir=str(output),
        max_steps=MAX_STEPS,
        per_device_train_batch_size=4,
        learning_rate=1e-3,
        save_steps=SAVE_STEPS,
        seed=0,
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
        logging_strategy="no",
    )
    return cls(
        model=hf_ssl.BertForMaskedLM(config),
        args=args,
        train_dataset=data,
        data_collator=collator,
        callbacks=[ResumableNoiseCallback(collator)],
    )


def _fail_rng_save_at_the_last_step(monkeypatch) -> None:
    original = Trainer._save_rng_state

    def failing(self, output_dir):
        if self.state.global_step == MAX_STEPS:
            raise OSError("disk full while writing rng_state.pth")
        original(self, output_dir)

    monkeypatch.setattr(Trainer, "_save_rng_state", failing)


def test_a_save_that_raises_is_removed_and_training_resumes_from_the_previous_checkpoint(
    tmp_path, monkeypatch
):
    straight = _trainer(SafeCheckpointTrainer, tmp_path / "straight")
    straight.train()

    _fail_rng_save_at_the_last_step(monkeypatch)
    crashed = _trainer(SafeCheckpointTrainer, tmp_path / "run")
    with pytest.raises(OSError, match="disk full"):
        crashed.train()
    monkeypatch.undo()
    assert not (tmp_path / "run" / f"checkpoint-{MAX_STEPS}").exists()
    assert is_complete_checkpoint(tmp_path / "run" / f"checkpoint-{SAVE_STEPS}")

    resumed = _trainer(SafeCheckpointTrainer, tmp_path / "run")
    resumed.train(resume_from_checkpoint=True)
    assert resumed.state.global_step == MAX_STEPS
    for key, value in straight.model.state_dict().items():
        assert torch.equal(resumed.model.state_dict()[key], value), key


def test_plain_trainer_leaves_the_half_written_checkpoint_as_the_one_to_resume(tmp_path, monkeypatch):
    _fail_rng_save_at_the_last_step(monkeypatch)
    with pytest.raises(OSError, match="disk full"):
        _trainer(Trainer, tmp_path).train()
    monkeypatch.undo()
    half_written = tmp_path / f"checkpoint-{MAX_STEPS}"
    assert get_last_checkpoint(str(tmp_path)) == str(half_written)
    assert not is_complete_checkpoint(half_written)
    assert last_complete_checkpoint(tmp_path) == str(tmp_path / f"checkpoint-{SAVE_STEPS}")


@pytest.mark.parametrize(
    "lost", [KILLED_AFTER_MODEL, KILLED_BEFORE_STATE], ids=["after-model", "before-state"]
)
def test_a_killed_save_is_skipped_on_resume_and_does_not_load_as_a_checkpoint(tmp_path, lost):
    _trainer(SafeCheckpointTrainer, tmp_path).train()
    killed = tmp_path / f"checkpoint-{MAX_STEPS}"
    for name in lost:
        (killed / name).unlink()

    with pytest.raises(FileNotFoundError, match=r"trainer_state\.json"):
        _trainer(SafeCheckpointTrainer, tmp_path).train(resume_from_checkpoint=str(killed))
    resumed = _trainer(SafeCheckpointTrainer, tmp_path)
    resumed.train(resume_from_checkpoint=True)
    assert resumed.state.global_step == MAX_STEPS
    assert is_complete_checkpoint(killed)  # the resumed run wrote step 4 again, completely


def test_resuming_with_no_complete_checkpoint_names_the_directory(tmp_path):
    (tmp_path / "checkpoint-3").mkdir()
    with pytest.raises(ValueError, match=f"{tmp_path}.*no complete"):
        _trainer(SafeCheckpointTrainer, tmp_path).train(resume_from_checkpoint=True)
    shutil.rmtree(tmp_path / "checkpoint-3")
    assert last_complete_checkpoint(tmp_path / "missing") is None
