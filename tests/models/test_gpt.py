"""GPT: parity with transformers' GPT-2 and OpenAI GPT (logits and generation), caching, left padding."""

from __future__ import annotations

import pytest
import torch
import transformers

import hf_ssl

SIZES = {"vocab_size": 120, "n_embd": 32, "n_layer": 2, "n_head": 4, "n_positions": 64}


def _theirs(kind: str, attn: str = "sdpa") -> transformers.PreTrainedModel:
    torch.manual_seed(0)
    if kind == "gpt2":
        config = transformers.GPT2Config(**SIZES, bos_token_id=1, eos_token_id=2)
        model_class = transformers.GPT2LMHeadModel
    else:
        config = transformers.OpenAIGPTConfig(**SIZES)
        model_class = transformers.OpenAIGPTLMHeadModel
    # transformers' OpenAI GPT has only the eager kernel; hf_ssl's twin still runs `attn`.
    config._attn_implementation = attn if kind == "gpt2" else "eager"
    model = model_class(config).eval()
    with torch.no_grad():  # every tensor non-trivial, biases and norms included
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    return model


def _right_padded() -> tuple[torch.Tensor, torch.Tensor]:
    ids = torch.randint(3, 120, (3, 10), generator=torch.Generator().manual_seed(1))
    mask = torch.ones_like(ids)
    mask[1, 7:] = 0
    mask[2, 4:] = 0
    return ids, mask


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
@pytest.mark.parametrize("kind", ["gpt2", "openai"])
@torch.no_grad()
def test_converted_model_gives_the_same_logits(kind, attn):
    theirs = _theirs(kind, attn)
    ours = hf_ssl.from_transformers(theirs).eval()
    ours.set_attn_implementation(attn)
    assert isinstance(ours, hf_ssl.GPTLMHeadModel)
    assert ours.config.norm_position == ("pre" if kind == "gpt2" else "post")
    ids, mask = _right_padded()
    expected, actual = theirs(ids, attention_mask=mask).logits, ours(ids, attention_mask=mask).logits
    torch.testing.assert_close(actual[mask.bool()], expected[mask.bool()], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kind", ["gpt2", "openai"])
@torch.no_grad()
def test_greedy_and_beam_generation_match_transformers_token_for_token(kind):
    theirs = _theirs(kind)
    ours = hf_ssl.from_transformers(theirs).eval()
    prompt = torch.randint(3, 120, (1, 6), generator=torch.Generator().manual_seed(2))
    for settings in ({"do_sample": False}, {"do_sample": False, "num_beams": 3}):
        kwargs = {"max_new_tokens": 8, "pad_token_id": 0, **settings}
        assert torch.equal(ours.generate(prompt, **kwargs), theirs.generate(prompt, **kwargs)), settings


@pytest.mark.parametrize("kind", ["gpt2", "openai"])
@torch.no_grad()
def test_round_trip_restores_every_tensor(kind):
    theirs = _theirs(kind)
    back = hf_ssl.to_transformers(hf_ssl.from_transformers(theirs))
    assert type(back) is type(theirs)
    for key, value in theirs.state_dict().items():
        torch.testing.assert_close(back.state_dict()[key], value, msg=key)


@torch.no_grad()
def test_generation_with_cache_equals_generation_without():
    model = hf_ssl.from_transformers(_theirs("gpt2")).eval()
    prompt = torch.randint(3, 120, (2, 5), generator=torch.Generator().manual_seed(3))
    kwargs = {"max_new_tokens": 10, "do_sample": False, "pad_token_id": 0}
    assert torch.equal(
        model.generate(prompt, use_cache=True, **kwargs), model.generate(prompt, use_cache=False, **kwargs)
    )


@torch.no_grad()
def test_left_padded_rows_give_the_same_logits_and_generations_as_rows_alone():
    model = hf_ssl.from_transformers(_theirs("gpt2")).eval()
    ids = torch.randint(3, 120, (2, 8), generator=torch.Generator().manual_seed(4))
    mask = torch.ones_like(ids)
    mask[1, :3] = 0
    padded = ids.masked_fill(mask == 0, 0)
    batched = model(padded, attention_mask=mask).logits
    alone = model(ids[1:, 3:]).logits
    torch.testing.assert_close(batched[1, 3:], alone[0], atol=1e-5, rtol=1e-5)
    kwargs = {"max_new_tokens": 6, "do_sample": False, "pad_token_id": 0}
    together = model.generate(padded, attention_mask=mask, **kwargs)
    assert torch.equal(together[1, -6:], model.generate(ids[1:, 3:], **kwargs)[0, -6:])


def test_causal_lm_loss_predicts_the_next_token():
    model = hf_ssl.from_transformers(_theirs("gpt2")).eval()
    ids = torch.randint(3, 120, (2, 9))
    out = model(ids, labels=ids)
    expected = torch.nn.functional.cross_entropy(out.logits[:, :-1].reshape(-1, 120), ids[:, 1:].reshape(-1))
    torch.testing.assert_close(out.loss, expected)
    torch.testing.assert_close(
        out.loss, transformers.GPT2LMHeadModel.forward(_theirs("gpt2"), ids, labels=ids).loss
    )


def test_bad_gpt_values_raise_naming_the_value():
    with pytest.raises(ValueError, match="norm_position='middle'"):
        hf_ssl.GPTConfig(norm_position="middle")
    model = hf_ssl.GPTLMHeadModel(
        hf_ssl.GPTConfig(
            vocab_size=50,
            hidden_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=32,
            max_position_embeddings=8,
            bos_token_id=1,
            eos_token_id=2,
        )
    )
    with pytest.raises(ValueError, match="sequence length 9 exceeds max_position_embeddings=8"):
        model(torch.zeros(1, 9, dtype=torch.long))
    with pytest.raises(ValueError, match="input_ids contains 50"):
        model(torch.tensor([[1, 50]]))


@torch.no_grad()
def test_export_of_an_sdpa_post_norm_model_falls_back_to_eager_for_openai_gpt():
    ours = hf_ssl.from_transformers(_theirs("openai")).eval()
    ours.set_attn_implementation("sdpa")
    theirs = hf_ssl.to_transformers(ours)  # OpenAIGPTLMHeadModel refuses "sdpa" at construction
    assert theirs.config._attn_implementation == "eager"
    ids, mask = _right_padded()
    expected, actual = theirs(ids, attention_mask=mask).logits, ours(ids, attention_mask=mask).logits
    torch.testing.assert_close(actual[mask.bool()], expected[mask.bool()], atol=1e-5, rtol=1e-5)


def test_export_picks_the_twin_that_fits_and_names_what_fits_none():
    assert isinstance(
        hf_ssl.to_transformers(hf_ssl.from_transformers(_theirs("openai"))), transformers.OpenAIGPTLMHeadModel
    )
    assert isinstance(
        hf_ssl.to_transformers(hf_ssl.from_transformers(_theirs("gpt2"))), transformers.GPT2LMHeadModel
    )
    odd = hf_ssl.GPTLMHeadModel(
        hf_ssl.GPTConfig(
            vocab_size=50,
            hidden_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=48,
            norm_position="post",
            max_position_embeddings=8,
            bos_token_id=1,
            eos_token_id=2,
        )
    )
    with pytest.raises(ValueError, match="intermediate_size=48"):
        hf_ssl.to_transformers(odd)


def test_text_generation_pipeline_continues_a_prompt():
    from transformers import pipeline

    from hf_ssl.data import iter_texts, load_default_corpus, train_gpt2_tokenizer

    tokenizer = train_gpt2_tokenizer(list(iter_texts(load_default_corpus()[:100])), vocab_size=400)
    torch.manual_seed(0)
    model = hf_ssl.GPTLMHeadModel(
        hf_ssl.GPTConfig(
            vocab_size=len(tokenizer),
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=64,
            max_position_embeddings=64,
            bos_token_id=0,
            eos_token_id=0,
        )
    )
    generator = pipeline("text-generation", model=model, tokenizer=tokenizer)
    with torch.no_grad():
        model.lm_head.weight[0] -= 100.0  # never end early, so exactly max_new_tokens come back
    out = generator("Call me Ishmael.", max_new_tokens=6, do_sample=False, return_tensors=True)
    prompt = tokenizer("Call me Ishmael.")["input_ids"]
    assert out[0]["generated_token_ids"][: len(prompt)] == prompt
    assert len(out[0]["generated_token_ids"]) == len(prompt) + 6


def test_gpt2_residual_projections_start_scaled_by_depth():
    torch.manual_seed(0)
    sizes = {"vocab_size": 300, "hidden_size": 64, "num_hidden_layers": 8, "num_attention_heads": 4}
    config = hf_ssl.GPTConfig(**sizes, intermediate_size=256, bos_token_id=0, eos_token_id=0)
    layer = hf_ssl.GPTLMHeadModel(config).transformer.decoder.layers[0]
    expected = 0.02 / (2 * 8) ** 0.5  # GPT-2 §2.3: 1/sqrt(N) over the N = 2L residual sums
    assert layer.self_attn.o_proj.weight.std().item() == pytest.approx(expected, rel=0.1)
    assert layer.ffn.down_proj.weight.std().item() == pytest.approx(expected, rel=0.1)
    assert layer.self_attn.qkv_proj.weight.std().item() == pytest.approx(0.02, rel=0.1)
