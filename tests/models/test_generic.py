"""Generic tests over every registered head of every tiny family (see tiny.py)."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoConfig, Trainer, TrainingArguments

import hf_ssl

from .tiny import (
    CAUSAL_FAMILIES,
    LENGTH,
    RECURRENT_FAMILIES,
    ROUTED_FAMILIES,
    SAMPLING,
    all_heads,
    head_id,
    is_token_level,
    main_output,
    make_inputs,
    make_model,
    run,
)

HEADS = all_heads()
# Multiple choice flattens its choices into encoder rows, so padding is covered by the bare encoder.
# Sampling models (ELECTRA's joint pretraining) draw their samples per batch, so a row run alone or a
# batch split for accumulation sees other samples; their generator and discriminator are tested alone.
# ELMo's pretraining logits cover <S> w </S> (t + 2 positions), and its loss is bilm-tf's per-batch
# mean over labels Trainer cannot count: test_elmo.py checks its padding and its Trainer run.
SINGLE_ROW_HEADS = [
    h
    for h in HEADS
    if "MultipleChoice" not in h[2].__name__
    and h[2] not in SAMPLING
    and h[2] is not hf_ssl.ElmoForPreTraining
]
# Attention kernels and activation checkpointing exist only in the Transformer families.
ATTENTION_HEADS = [h for h in HEADS if h[0] not in RECURRENT_FAMILIES]
# A bare encoder has no loss; multiple choice shares sequence classification's loss code.
LOSS_HEADS = [h for h in SINGLE_ROW_HEADS if not h[2].__name__.endswith("Model")]
# Switch's router losses are statistics of the whole batch (Fedus et al. 2021 eq. 4, the fraction of
# tokens per expert): split into micro-batches they differ, as they do in the reference.
ACCUMULATION_HEADS = [h for h in LOSS_HEADS if h[0] not in ROUTED_FAMILIES]


# Decoders must also be exact with left padding (batched generation pads on the left).
CAUSAL_HEADS = [h for h in SINGLE_ROW_HEADS if h[0] in CAUSAL_FAMILIES]


def over(heads):
    return pytest.mark.parametrize("head", heads, ids=[head_id(h) for h in heads])


@over(HEADS)
@torch.no_grad()
def test_save_then_load_gives_identical_outputs_and_no_missing_keys(head, tmp_path):
    family, _, model_class = head
    model = make_model(family, model_class).eval()
    inputs = make_inputs(model)
    model.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").is_file()
    loaded, info = model_class.from_pretrained(tmp_path, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
    torch.testing.assert_close(
        main_output(run(loaded.eval(), inputs)), main_output(run(model, inputs)), rtol=0, atol=1e-6
    )


@over(HEADS)
def test_auto_classes_resolve_to_the_hf_ssl_class(head, tmp_path):
    family, auto_class, model_class = head
    make_model(family, model_class).save_pretrained(tmp_path)
    assert type(AutoConfig.from_pretrained(tmp_path)) is model_class.config_class
    assert type(auto_class.from_pretrained(tmp_path)) is model_class


@over(SINGLE_ROW_HEADS)
@torch.no_grad()
def test_padded_batch_equals_each_row_run_alone(head):
    family, _, model_class = head
    model = make_model(family, model_class).eval()
    inputs = make_inputs(model)
    batched = main_output(model(**inputs))
    for row, length in enumerate(inputs["attention_mask"].sum(-1).tolist()):
        alone = {k: v[row : row + 1, :length] if v.dim() > 1 else v[row : row + 1] for k, v in inputs.items()}
        single = main_output(model(**alone))
        expected = batched[row : row + 1, :length] if is_token_level(model) else batched[row : row + 1]
        torch.testing.assert_close(single, expected, atol=1e-5, rtol=1e-5)


@over(CAUSAL_HEADS)
@torch.no_grad()
def test_left_padded_batch_equals_each_row_run_alone(head):
    family, _, model_class = head
    model = make_model(family, model_class).eval()
    inputs = make_inputs(model)
    lengths = inputs["attention_mask"].sum(-1).tolist()
    left = {k: torch.stack([v[r].roll(LENGTH - n) for r, n in enumerate(lengths)]) for k, v in inputs.items()}
    batched = main_output(run(model, left))
    for row, length in enumerate(lengths):
        alone = main_output(run(model, {k: v[row : row + 1, :length] for k, v in inputs.items()}))
        expected = (
            batched[row : row + 1, LENGTH - length :] if is_token_level(model) else batched[row : row + 1]
        )
        torch.testing.assert_close(alone, expected, atol=1e-5, rtol=1e-5)


@over(ATTENTION_HEADS)
@torch.no_grad()
def test_eager_and_sdpa_give_the_same_outputs(head):
    family, _, model_class = head
    eager = make_model(family, model_class, attn="eager").eval()
    sdpa = make_model(family, model_class, attn="sdpa").eval()
    inputs = make_inputs(eager)
    mask = inputs["attention_mask"].bool()
    a, b = main_output(run(eager, inputs)), main_output(run(sdpa, inputs))
    if a.shape[:2] == mask.shape:
        a, b = a[mask], b[mask]
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


@over(HEADS)
def test_backward_reaches_every_parameter_the_head_uses(head):
    family, _, model_class = head
    model = make_model(family, model_class).train()
    output = run(model, make_inputs(model, labels=True))
    loss = output.loss if output.get("loss") is not None else main_output(output).pow(2).mean()
    loss.backward()
    assert torch.isfinite(loss)
    unused = {"pooler.dense.weight", "pooler.dense.bias"}
    if model_class in (hf_ssl.ElmoModel, hf_ssl.ElmoForPreTraining):
        # ELMo's scalar mixes serve the task heads; the top layer and the LM logits bypass them.
        unused |= {"scalar_mixes.0.weights", "scalar_mixes.0.gamma"}
    without_grad = [
        n
        for n, p in model.named_parameters()
        if p.grad is None
        and p.requires_grad  # frozen parts (ELMo's biLM, TagLM's LM) take no gradient by design
        and not any(n.endswith(u) for u in unused)
        # An expert that no token of a tiny batch was routed to gets no gradient, as in any MoE.
        and ".experts." not in n
    ]
    assert not without_grad, without_grad


@over(ATTENTION_HEADS)
def test_activation_checkpointing_gives_the_same_gradients(head):
    family, _, model_class = head
    plain = make_model(family, model_class).train()
    checkpointed = make_model(family, model_class).train()
    checkpointed.activation_checkpointing_enable()
    for model in (plain, checkpointed):
        output = run(model, make_inputs(model, labels=True))
        loss = output.loss if output.get("loss") is not None else main_output(output).pow(2).mean()
        loss.backward()
    for (name, p), (_, q) in zip(plain.named_parameters(), checkpointed.named_parameters(), strict=True):
        if p.grad is not None:
            torch.testing.assert_close(q.grad, p.grad, atol=1e-6, rtol=1e-5, msg=name)


class _Rows(torch.utils.data.Dataset):
    def __init__(self, batches: list[dict]) -> None:
        self.rows = [
            {k: v[i] for k, v in batch.items()} for batch in batches for i in range(len(batch["input_ids"]))
        ]

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict:
        return self.rows[i]


def _train(model, dataset, tmp_path, batch_size: int, accumulation: int) -> list[float]:
    args = TrainingArguments(
        output_dir=str(tmp_path),
        per_device_train_batch_size=batch_size,
        gradient_accumulation_steps=accumulation,
        max_steps=2,
        learning_rate=1e-2,
        logging_steps=1,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        seed=0,
        disable_tqdm=True,
        dataloader_drop_last=True,
        optim="sgd",  # Adam would amplify 1e-9 gradient noise
    )
    trainer = Trainer(model=model, args=args, train_dataset=dataset)
    trainer.train()
    return [log["loss"] for log in trainer.state.log_history if "loss" in log]


@over(ACCUMULATION_HEADS)
@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_gradient_accumulation_gives_the_same_losses_and_weights(head, attn, tmp_path):
    family, _, model_class = head
    probe = make_model(family, model_class)
    # ForPreTraining's sentence-pair loss is a per-sequence mean: exact under accumulation when every
    # sequence has as many masked tokens (see BertForPreTraining.forward).
    equal = "PreTraining" in model_class.__name__
    batches = [make_inputs(probe, labels=True, seed=s, equal_masks=equal) for s in range(4)]  # 12 rows
    dataset = _Rows(batches)
    whole = make_model(family, model_class, attn=attn)
    accumulated = make_model(family, model_class, attn=attn)
    losses_whole = _train(whole, dataset, tmp_path / "a", batch_size=4, accumulation=1)
    losses_accumulated = _train(accumulated, dataset, tmp_path / "b", batch_size=2, accumulation=2)
    assert len(losses_whole) == 2
    assert losses_accumulated == pytest.approx(losses_whole, rel=1e-4)
    for (name, p), (_, q) in zip(whole.named_parameters(), accumulated.named_parameters(), strict=True):
        torch.testing.assert_close(q, p, atol=1e-5, rtol=1e-4, msg=name)
