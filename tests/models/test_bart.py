"""BART: parity with transformers' BART (every head, logits and generation), caching, the heads' rules."""

from __future__ import annotations

import pytest
import torch
import transformers

import hf_ssl

SIZES = {
    "vocab_size": 120,
    "d_model": 32,
    "encoder_layers": 2,
    "decoder_layers": 2,
    "encoder_attention_heads": 4,
    "decoder_attention_heads": 4,
    "encoder_ffn_dim": 64,
    "decoder_ffn_dim": 48,
    "max_position_embeddings": 64,
}
HEADS = [
    "BartModel",
    "BartForConditionalGeneration",
    "BartForSequenceClassification",
    "BartForQuestionAnswering",
]
PAD, EOS = 1, 2


def _theirs(
    head: str = "BartForConditionalGeneration", attn: str = "sdpa", **overrides
) -> transformers.PreTrainedModel:
    torch.manual_seed(0)
    config = transformers.BartConfig(**SIZES, **overrides)
    config._attn_implementation = attn
    model = getattr(transformers, head)(config).eval()
    with torch.no_grad():  # every tensor non-trivial: biases, norms and the logits bias included
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.02)
        if hasattr(model, "final_logits_bias"):
            model.final_logits_bias.normal_()
    return model


def _batch() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Right-padded sources ending in </s> (one </s> per row, as transformers' classifier needs)."""
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(3, 120, (3, 10), generator=g)
    lengths = (10, 7, 4)
    mask = torch.zeros_like(ids)
    for row, length in enumerate(lengths):
        mask[row, :length] = 1
        ids[row, length - 1] = EOS
    ids[mask == 0] = PAD
    return ids, mask, torch.randint(3, 120, (3, 6), generator=g)


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
@pytest.mark.parametrize("head", HEADS)
@torch.no_grad()
def test_converted_model_gives_the_same_outputs_as_transformers(head, attn):
    theirs = _theirs(head, attn)
    ours = hf_ssl.from_transformers(theirs).eval()
    assert type(ours) is getattr(hf_ssl, head)
    ids, mask, decoder_ids = _batch()
    inputs = {"input_ids": ids, "attention_mask": mask}
    if head in ("BartModel", "BartForConditionalGeneration"):
        inputs["decoder_input_ids"] = decoder_ids
    expected, actual = theirs(**inputs), ours(**inputs)
    for key in ("last_hidden_state", "logits", "start_logits", "end_logits", "encoder_last_hidden_state"):
        if key in expected:
            torch.testing.assert_close(actual[key], expected[key], atol=1e-5, rtol=1e-5, msg=key)


@torch.no_grad()
def test_loss_with_labels_equals_transformers():
    theirs = _theirs()
    ours = hf_ssl.from_transformers(theirs).eval()
    ids, mask, labels = _batch()
    labels[2, 4:] = -100
    torch.testing.assert_close(
        ours(ids, attention_mask=mask, labels=labels).loss,
        theirs(ids, attention_mask=mask, labels=labels).loss,
    )


def test_training_projects_only_labelled_positions_and_gives_the_same_loss():
    model = hf_ssl.from_transformers(_theirs(dropout=0.0))
    ids, mask, labels = _batch()
    labels[2, 4:] = -100
    with torch.no_grad():
        full = model.eval()(ids, attention_mask=mask, labels=labels)
    sparse = model.train()(ids, attention_mask=mask, labels=labels)
    assert full.logits.shape == (3, 6, 120)
    assert sparse.logits.shape == (int((labels != -100).sum()), 120)
    torch.testing.assert_close(sparse.loss, full.loss)
    torch.testing.assert_close(sparse.logits, full.logits[labels != -100])


@torch.no_grad()
def test_greedy_and_beam_generation_match_transformers_token_for_token():
    theirs = _theirs()
    ours = hf_ssl.from_transformers(theirs).eval()
    ids, mask, _ = _batch()
    for settings in ({"do_sample": False}, {"do_sample": False, "num_beams": 3}):
        kwargs = {"max_new_tokens": 8, "min_new_tokens": 8, **settings}
        expected = theirs.generate(ids, attention_mask=mask, **kwargs)
        assert torch.equal(ours.generate(ids, attention_mask=mask, **kwargs), expected), settings


@torch.no_grad()
def test_generation_with_cache_equals_generation_without():
    model = hf_ssl.from_transformers(_theirs()).eval()
    ids, mask, _ = _batch()
    kwargs = {"max_new_tokens": 8, "min_new_tokens": 8, "do_sample": False}
    assert torch.equal(
        model.generate(ids, attention_mask=mask, use_cache=True, **kwargs),
        model.generate(ids, attention_mask=mask, use_cache=False, **kwargs),
    )


@pytest.mark.parametrize("head", HEADS)
@torch.no_grad()
def test_round_trip_to_transformers_restores_every_tensor(head):
    theirs = _theirs(head)
    with torch.no_grad():  # the offset rows are never read; the round trip restores them as zeros
        for side in ("encoder", "decoder"):
            theirs.get_submodule(f"{'model.' if head != 'BartModel' else ''}{side}.embed_positions").weight[
                :2
            ] = 0
    back = hf_ssl.to_transformers(hf_ssl.from_transformers(theirs))
    assert type(back) is type(theirs)
    for key, value in theirs.state_dict().items():
        torch.testing.assert_close(back.state_dict()[key], value, msg=key)


def test_from_pretrained_converts_a_transformers_checkpoint_directory(tmp_path):
    theirs = _theirs()
    theirs.save_pretrained(tmp_path)
    ours = hf_ssl.BartForConditionalGeneration.from_pretrained(tmp_path).eval()
    ids, mask, decoder_ids = _batch()
    with torch.no_grad():
        torch.testing.assert_close(
            ours(ids, attention_mask=mask, decoder_input_ids=decoder_ids).logits,
            theirs(ids, attention_mask=mask, decoder_input_ids=decoder_ids).logits,
        )


@torch.no_grad()
def test_classifier_reads_each_rows_last_eos_even_when_rows_hold_different_counts():
    model = hf_ssl.from_transformers(_theirs("BartForSequenceClassification")).eval()
    ids, mask, _ = _batch()
    two_eos = ids.clone()
    two_eos[0, 3] = EOS  # row 0 now holds two </s>; transformers would refuse the batch
    logits = model(two_eos, attention_mask=mask).logits
    alone = model(two_eos[:1], attention_mask=mask[:1]).logits
    torch.testing.assert_close(logits[:1], alone, atol=1e-5, rtol=1e-5)
    no_eos = ids.masked_fill(ids == EOS, 5)
    with pytest.raises(ValueError, match=r"rows \[0, 1, 2\].*eos_token_id=2"):
        model(no_eos, attention_mask=mask)


@torch.no_grad()
def test_decoder_position_ids_select_the_position_rows():
    model = hf_ssl.from_transformers(_theirs()).eval()
    ids, mask, decoder_ids = _batch()
    default = model(ids, attention_mask=mask, decoder_input_ids=decoder_ids).logits
    explicit = model(
        ids,
        attention_mask=mask,
        decoder_input_ids=decoder_ids,
        decoder_position_ids=torch.arange(6).expand(3, 6),
    ).logits
    shifted = model(
        ids,
        attention_mask=mask,
        decoder_input_ids=decoder_ids,
        decoder_position_ids=torch.arange(6).expand(3, 6) + 4,
    ).logits
    torch.testing.assert_close(explicit, default)
    assert not torch.allclose(shifted, default)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"d_model": 30}, "d_model=30 is not divisible by encoder_attention_heads=4"),
        ({"decoder_layers": 0}, "decoder_layers=0; expected a positive integer"),
        ({"activation_function": "swishy"}, "activation_function='swishy'"),
        ({"dropout": 1.5}, r"dropout=1.5; expected a probability"),
        ({"eos_token_id": 500}, r"eos_token_id=500; expected an id in \[0, vocab_size=120\)"),
    ],
)
def test_bad_bart_values_raise_naming_the_value(overrides, message):
    with pytest.raises(ValueError, match=message):
        hf_ssl.BartConfig(**{**SIZES, **overrides})


@torch.no_grad()
def test_bad_inputs_raise_naming_the_value():
    model = hf_ssl.from_transformers(_theirs()).eval()
    ids, mask, decoder_ids = _batch()
    with pytest.raises(ValueError, match=r"input_ids contains 120"):
        model(ids.masked_fill(ids == EOS, 120), attention_mask=mask, decoder_input_ids=decoder_ids)
    with pytest.raises(ValueError, match=r"attention_mask has shape \(3, 9\); expected \(3, 10\)"):
        model(ids, attention_mask=mask[:, :9], decoder_input_ids=decoder_ids)
    with pytest.raises(ValueError, match="sequence length 70 exceeds max_position_embeddings=64"):
        model(torch.full((1, 70), 5), decoder_input_ids=decoder_ids[:1])


def test_bart_learns_to_restore_text_from_the_denoising_collator():
    from hf_ssl.objectives import DenoisingCollator

    model = hf_ssl.from_transformers(_theirs(dropout=0.0)).train()
    collator = DenoisingCollator(vocab_size=120, mask_token_id=4, full_stop_token_id=5, seed=0)
    g = torch.Generator().manual_seed(0)
    documents = [[0, *torch.randint(6, 120, (n,), generator=g).tolist(), 5, 2] for n in (12, 9, 16)]
    batch = collator(documents)
    assert torch.equal(batch["labels"][0, : len(documents[0])], torch.tensor(documents[0]))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(40):
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_packed_pairs_give_the_padded_batchs_loss_and_logits(attn):
    from hf_ssl.objectives import DenoisingCollator, pack_seq2seq_batch

    model = hf_ssl.from_transformers(_theirs(dropout=0.0, attn=attn)).eval()
    collator = DenoisingCollator(vocab_size=120, mask_token_id=4, full_stop_token_id=5, seed=0)
    g = torch.Generator().manual_seed(3)
    documents = [[0, *torch.randint(6, 120, (n,), generator=g).tolist(), 5, 2] for n in (12, 5, 9, 3, 7)]
    padded = collator(documents)
    packed = pack_seq2seq_batch(padded, 32, 32, pad_token_id=1)
    assert packed["input_ids"].shape[0] < len(documents)  # several pairs share a row
    with torch.no_grad():
        padded_logits, packed_logits = model(**padded).logits, model(**packed).logits
        torch.testing.assert_close(model(**packed).loss, model(**padded).loss, atol=1e-6, rtol=1e-6)
    # Each packed target document (positions restart at 0) against its own padded row.
    targets = [row[row != -100].tolist() for row in padded["labels"]]
    found = 0
    for row in range(packed["labels"].shape[0]):
        for start in (packed["decoder_position_ids"][row] == 0).nonzero().flatten().tolist():
            n = next(
                i
                for i, t in enumerate(targets)
                if packed["labels"][row, start : start + len(t)].tolist() == t
            )
            length = len(targets[n])
            torch.testing.assert_close(
                packed_logits[row, start : start + length], padded_logits[n, :length], atol=1e-5, rtol=1e-5
            )
            found += 1
    assert found == len(documents)
