"""Trainer resume is exact: a run stopped at a checkpoint and resumed ends with the uninterrupted weights.

Checked for an MLM objective (tiny BERT + MaskedLMCollator), a seq2seq one
(tiny BART fed MaskedLMCollator-noised sources, original ids as labels) and CBOW (dynamic windows,
subsampling and negatives all drawn by CBOWCollator). Dropout is on, so the global
RNGs Trainer restores matter too; the checkpoint falls mid-epoch, so Trainer's batch skipping and the
collator's epoch both matter. A stream-mode collator is shown to break exactness, which is why
``hf_ssl.trainer.ResumableNoiseCallback`` exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import PreTrainedModel, Trainer, TrainingArguments

import hf_ssl
from hf_ssl.constants import IGNORE_INDEX
from hf_ssl.objectives import CBOWCollator, MaskedLMCollator
from hf_ssl.objectives.cbow import count_tokens
from hf_ssl.trainer import ResumableNoiseCallback

VOCAB = 100
PAD, MASK = 0, 1
NUM_EXAMPLES, BATCH = 16, 4  # 4 steps an epoch
MAX_STEPS, CHECKPOINT_STEP = 10, 6  # the checkpoint falls mid-epoch 2
SEED = 0


def _dataset() -> list[dict[str, list[int]]]:
    generator = torch.Generator().manual_seed(123)
    lengths = torch.randint(6, 13, (NUM_EXAMPLES,), generator=generator)
    return [{"input_ids": torch.randint(2, VOCAB, (int(n),), generator=generator).tolist()} for n in lengths]


def _mlm_collator() -> MaskedLMCollator:
    return MaskedLMCollator(vocab_size=VOCAB, mask_token_id=MASK, pad_token_id=PAD, seed=SEED)


@dataclass
class NoisedSourceCollator:
    """Seq2seq batches: MaskedLMCollator's masked ids as the source, the clean ids as labels."""

    masked_lm: MaskedLMCollator

    def __call__(self, features: list[dict[str, list[int]]]) -> dict[str, torch.Tensor]:
        batch = self.masked_lm(features)
        labels = torch.full_like(batch["input_ids"], IGNORE_INDEX)  # (b, t)
        for row, feature in enumerate(features):
            labels[row, : len(feature["input_ids"])] = torch.tensor(feature["input_ids"])
        return {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"], "labels": labels}


def _cbow_collator() -> CBOWCollator:
    counts = count_tokens([row["input_ids"] for row in _dataset()], VOCAB)
    return CBOWCollator(counts, window=2, num_negatives=3, subsample_threshold=0.05, seed=SEED)


def _cbow() -> PreTrainedModel:
    return hf_ssl.CBOWForPreTraining(hf_ssl.CBOWConfig(vocab_size=VOCAB, embedding_size=16, num_negatives=3))


def _bert() -> PreTrainedModel:
    config = hf_ssl.BertConfig(
        vocab_size=VOCAB,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=32,
        hidden_dropout_prob=0.1,
        pad_token_id=PAD,
    )
    return hf_ssl.BertForMaskedLM(config)


def _bart() -> PreTrainedModel:
    config = hf_ssl.BartConfig(
        vocab_size=VOCAB,
        d_model=32,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=4,
        decoder_attention_heads=4,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=32,
        dropout=0.1,
    )
    return hf_ssl.BartForConditionalGeneration(config)


def _train(
    output: Path,
    make_model: Callable[[], PreTrainedModel],
    make_collator: Callable[[], Any],
    *,
    keyed: bool,
    resume: str | None = None,
    num_workers: int = 0,
) -> dict[str, torch.Tensor]:
    torch.manual_seed(SEED)
    model = make_model()
    collator = make_collator()
    args = TrainingArguments(
        output_dir=str(output),
        max_steps=MAX_STEPS,
        per_device_train_batch_size=BATCH,
        learning_rate=1e-3,
        save_strategy="steps",
        save_steps=CHECKPOINT_STEP,
        seed=SEED,
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
        logging_strategy="no",
        dataloader_num_workers=num_workers,
    )
    callbacks = [ResumableNoiseCallback(collator)] if keyed else []
    trainer = Trainer(
        model=model, args=args, train_dataset=_dataset(), data_collator=collator, callbacks=callbacks
    )
    trainer.train(resume_from_checkpoint=resume)
    return {key: value.detach().clone() for key, value in model.state_dict().items()}


def _assert_resume_is_exact(
    tmp_path: Path, make_model: Callable, make_collator: Callable, num_workers: int = 0
) -> None:
    straight = _train(tmp_path / "straight", make_model, make_collator, keyed=True, num_workers=num_workers)
    checkpoint = tmp_path / "straight" / f"checkpoint-{CHECKPOINT_STEP}"
    resumed = _train(
        tmp_path / "resumed",
        make_model,
        make_collator,
        keyed=True,
        resume=str(checkpoint),
        num_workers=num_workers,
    )
    assert straight.keys() == resumed.keys()
    for key, value in straight.items():
        assert torch.equal(resumed[key], value), key
    initial = make_model().state_dict()
    assert any(not torch.equal(initial[key], value) for key, value in straight.items())


def test_bert_mlm_resumed_from_a_mid_epoch_checkpoint_ends_with_the_uninterrupted_weights(tmp_path):
    _assert_resume_is_exact(tmp_path, _bert, _mlm_collator)


def test_bert_mlm_resume_is_exact_when_two_dataloader_workers_collate(tmp_path):
    # Resumed, the workers see other batches than they did (Trainer skips by index, not by worker).
    _assert_resume_is_exact(tmp_path, _bert, _mlm_collator, num_workers=2)


def test_bart_seq2seq_resumed_from_a_mid_epoch_checkpoint_ends_with_the_uninterrupted_weights(tmp_path):
    _assert_resume_is_exact(tmp_path, _bart, lambda: NoisedSourceCollator(_mlm_collator()))


def test_cbow_resumed_from_a_mid_epoch_checkpoint_ends_with_the_uninterrupted_weights(tmp_path):
    _assert_resume_is_exact(tmp_path, _cbow, _cbow_collator)


def test_a_stream_mode_collator_does_not_resume_exactly_which_the_callback_fixes(tmp_path):
    straight = _train(tmp_path / "straight", _bert, _mlm_collator, keyed=False)
    checkpoint = tmp_path / "straight" / f"checkpoint-{CHECKPOINT_STEP}"
    resumed = _train(tmp_path / "resumed", _bert, _mlm_collator, keyed=False, resume=str(checkpoint))
    assert any(not torch.equal(resumed[key], value) for key, value in straight.items())
