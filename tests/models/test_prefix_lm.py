"""Prefix LM: a bidirectional prefix, a causal rest, and generation that keeps the prompt bidirectional."""

from __future__ import annotations

import torch

import hf_ssl

VOCAB = 64


def _model(seed: int = 0) -> hf_ssl.PrefixLMForCausalLM:
    torch.manual_seed(seed)
    config = hf_ssl.PrefixLMConfig(
        vocab_size=VOCAB,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
    )
    return hf_ssl.PrefixLMForCausalLM(config).eval()


def _ids(shape=(2, 8), seed: int = 1) -> torch.Tensor:
    return torch.randint(3, VOCAB, shape, generator=torch.Generator().manual_seed(seed))


@torch.no_grad()
def test_prefix_positions_see_the_whole_prefix_and_nothing_after_it():
    model = _model()
    ids = _ids()
    prefix = torch.tensor([4, 4])
    base = model(ids, prefix_lengths=prefix).logits
    inside = ids.clone()
    inside[:, 3] = 7  # last prefix token: every prefix position sees it
    changed = model(inside, prefix_lengths=prefix).logits
    assert (changed[:, 0] - base[:, 0]).abs().max() > 1e-4
    after = ids.clone()
    after[:, 5] = 7  # a target token: nothing before it may see it
    changed = model(after, prefix_lengths=prefix).logits
    torch.testing.assert_close(changed[:, :5], base[:, :5])


@torch.no_grad()
def test_zero_length_prefix_is_the_causal_decoder():
    model = _model()
    ids = _ids()
    torch.testing.assert_close(model(ids, prefix_lengths=torch.tensor([0, 0])).logits, model(ids).logits)


@torch.no_grad()
def test_padded_rows_with_different_prefixes_equal_each_row_alone():
    model = _model()
    ids = _ids((3, 9))
    mask = torch.ones_like(ids)
    mask[1, 6:] = 0
    mask[2, 4:] = 0
    prefix = torch.tensor([5, 2, 3])
    batched = model(ids.masked_fill(mask == 0, 0), attention_mask=mask, prefix_lengths=prefix).logits
    for row, length in enumerate(mask.sum(-1).tolist()):
        alone = model(ids[row : row + 1, :length], prefix_lengths=prefix[row : row + 1]).logits
        torch.testing.assert_close(alone[0], batched[row, :length], atol=1e-5, rtol=1e-5)


@torch.no_grad()
def test_generation_reads_the_prompt_as_a_bidirectional_prefix():
    model = _model()
    prompt = _ids((2, 6), seed=2)
    kwargs = {"max_new_tokens": 5, "min_new_tokens": 5, "do_sample": False}
    cached = model.generate(prompt, use_cache=True, **kwargs)
    assert torch.equal(cached, model.generate(prompt, use_cache=False, **kwargs))
    # Each greedy step equals the argmax of a full forward with the prompt as prefix...
    full = model(cached[:, :-1], prefix_lengths=torch.tensor([6, 6])).logits
    assert torch.equal(full[:, 5:].argmax(-1), cached[:, 6:])
    # ...which a purely causal reading of the same tokens does not reproduce.
    causal = model(cached[:, :-1]).logits
    assert not torch.allclose(causal[:, 5], full[:, 5])
    beams = model.generate(prompt, num_beams=3, **kwargs)
    assert beams.shape == cached.shape


def test_trainer_loss_counts_only_the_labelled_targets():
    model = _model().train()
    ids = _ids()
    labels = ids.clone()
    labels[:, :4] = -100  # the prefix carries no loss
    out = model(ids, prefix_lengths=torch.tensor([4, 4]), labels=labels)
    logits = out.logits[:, 3:-1]  # position i predicts token i + 1: targets 4..7
    expected = torch.nn.functional.cross_entropy(logits.reshape(-1, VOCAB), ids[:, 4:].reshape(-1))
    torch.testing.assert_close(out.loss, expected)
