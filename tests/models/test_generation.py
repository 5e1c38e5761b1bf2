"""Cached decoding gives the scores of uncached decoding at every step, for every generative family.

Each case generates twice, with and without the KV cache, and compares the raw logits of every step
(`output_logits`) to 1e-4: greedy, beam search and seeded sampling, each with a padded batch and with
a single unpadded prompt. The tiny models' weights are spread out from their initialisation so that
they emit varied tokens (a model that repeats one token hides a broken cache), and every case checks
that they do. The last test breaks the cache on purpose, the way a transformers release that renames
the cache argument breaks it, and expects the comparison to fail.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
import torch
from transformers import GenerationMixin, PreTrainedModel

import hf_ssl

from .tiny import TINY_CONFIGS, VOCAB

PROMPT_LENGTH, NEW_TOKENS = 6, 8
TOLERANCE = 1e-4
TRAINING_STEPS = 60


def _config(family: str, **overrides: Any) -> Any:
    config = TINY_CONFIGS[family]
    return type(config).from_dict({**config.to_dict(), **overrides})


GENERATIVE: dict[str, tuple[type[PreTrainedModel], Any]] = {
    "gpt1": (hf_ssl.GPTLMHeadModel, lambda: _config("gpt1")),
    "gpt2": (hf_ssl.GPTLMHeadModel, lambda: _config("gpt2")),
    "prefix_lm": (hf_ssl.PrefixLMForCausalLM, lambda: _config("prefix_lm")),
    "bart": (hf_ssl.BartForConditionalGeneration, lambda: _config("bart")),
    "mass": (hf_ssl.MassForConditionalGeneration, lambda: _config("mass")),
    "t5-v1.0": (
        hf_ssl.T5ForConditionalGeneration,
        lambda: _config("t5", feed_forward_proj="relu", tie_word_embeddings=True),
    ),
    "t5-v1.1": (hf_ssl.T5ForConditionalGeneration, lambda: _config("t5")),
    # Capacity never binds here: uncached decoding routes a whole prefix at once, cached decoding one
    # token a row, so a binding capacity drops different tokens by design.
    "switch": (hf_ssl.T5ForConditionalGeneration, lambda: _config("switch", expert_capacity=512)),
}

MODES: dict[str, dict[str, Any]] = {
    "greedy": {"do_sample": False},
    "beam": {"do_sample": False, "num_beams": 3},
    "sample": {"do_sample": True, "top_k": 0, "temperature": 1.0},
}


@functools.cache
def _model(family: str) -> PreTrainedModel:
    """A tiny model trained for a few steps on chains `t, f(t), f(f(t)), ...` of a random map f.

    Random init makes tiny models repeat one token; the chains teach each a different next token
    for every token, so greedy, beam and sampled outputs all vary. A sequence-to-sequence model
    learns to map each input token to f of it.
    """
    model_class, make_config = GENERATIVE[family]
    torch.manual_seed(0)
    model = model_class(make_config())
    following = torch.randperm(VOCAB - 5) + 5  # (V - 5,): f(t) = following[t - 5]
    chains = torch.randint(5, VOCAB, (16, 1))
    for _ in range(11):
        chains = torch.cat([chains, following[chains[:, -1:] - 5]], dim=1)  # (16, 12)
    batch = {"input_ids": chains, "labels": chains}
    if model.config.is_encoder_decoder:
        batch["labels"] = following[chains - 5]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    for _ in range(TRAINING_STEPS):
        optimizer.zero_grad()
        model(**batch).loss.backward()
        optimizer.step()
    return model.eval()


def _prompts(model: PreTrainedModel, padded: bool) -> dict[str, torch.Tensor]:
    """Two prompts, the second 2 tokens shorter and padded (left for decoders), or one unpadded prompt."""
    config = model.config
    ids = torch.randint(
        5, VOCAB, (2 if padded else 1, PROMPT_LENGTH), generator=torch.Generator().manual_seed(1)
    )
    if config.is_encoder_decoder:
        ids[:, -1] = config.eos_token_id
    mask = torch.ones_like(ids)
    if padded:
        if config.is_encoder_decoder:
            mask[1, -2:] = 0
            ids[1, -3] = config.eos_token_id
        else:
            mask[1, :2] = 0
        ids = ids.masked_fill(mask == 0, config.pad_token_id)
    return {"input_ids": ids, "attention_mask": mask}


def _generate(model: GenerationMixin, inputs: dict, use_cache: bool, mode: str) -> Any:
    torch.manual_seed(7)  # sampling draws from the global generator: the same draws both times
    return model.generate(
        **inputs,
        **MODES[mode],
        use_cache=use_cache,
        max_new_tokens=NEW_TOKENS,
        min_new_tokens=NEW_TOKENS,
        pad_token_id=model.config.pad_token_id,
        output_logits=True,
        return_dict_in_generate=True,
    )


def cached_and_uncached_mismatch(model: Any, inputs: dict, mode: str) -> str | None:
    """None when both decodings give the same tokens and step scores, else what differs."""
    with torch.no_grad():
        cached, uncached = _generate(model, inputs, True, mode), _generate(model, inputs, False, mode)
    if len(cached.logits) != len(uncached.logits):
        return f"{len(cached.logits)} cached steps, {len(uncached.logits)} uncached"
    for step, (a, b) in enumerate(zip(cached.logits, uncached.logits, strict=True)):
        difference = (a - b).abs().max().item()
        if difference > TOLERANCE:
            return f"step {step}: logits differ by {difference:.3g}"
    if not torch.equal(cached.sequences, uncached.sequences):
        return f"sequences differ: {cached.sequences.tolist()} vs {uncached.sequences.tolist()}"
    return None


@pytest.mark.parametrize("padded", [False, True], ids=["one-prompt", "padded-batch"])
@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("family", list(GENERATIVE))
def test_cached_generation_scores_every_step_as_uncached_generation(family, mode, padded):
    model = _model(family)
    inputs = _prompts(model, padded)
    assert cached_and_uncached_mismatch(model, inputs, mode) is None
    with torch.no_grad():
        generated = _generate(model, inputs, True, mode).sequences[:, -NEW_TOKENS:]
    # Varied outputs: a model that emits one token would pass with a dead cache.
    assert len(generated.unique()) >= 4, generated.tolist()


def _forget_the_cache(model: Any) -> None:
    """Make `model.forward` drop whatever cache it is handed: every cached step sees one token alone."""
    forward = model.forward

    @functools.wraps(forward)
    def forgetful(*args: Any, **kwargs: Any) -> Any:
        kwargs.pop("cache", None)
        kwargs.pop("past_key_values", None)
        return forward(*args, **kwargs)

    model.forward = forgetful


@pytest.mark.parametrize("padded", [False, True], ids=["one-prompt", "padded-batch"])
@pytest.mark.parametrize("family", list(GENERATIVE))
def test_the_comparison_fails_when_the_model_ignores_its_cache(family, padded):
    model_class, make_config = GENERATIVE[family]
    model = model_class(make_config()).eval()
    model.load_state_dict(_model(family).state_dict())
    _forget_the_cache(model)
    try:
        mismatch = cached_and_uncached_mismatch(model, _prompts(model, padded), "greedy")
    except ValueError as error:  # a decoder may see the mask outgrow its inputs and say so
        mismatch = str(error)
    assert mismatch is not None
