"""MASS: BART's network with MASS-base defaults, span decoding at original positions, cross-attention masking."""

from __future__ import annotations

import torch

import hf_ssl

from .tiny import TINY_CONFIGS, make_model


def test_defaults_are_mass_base():
    config = hf_ssl.MassConfig()
    assert (config.encoder_layers, config.decoder_layers, config.d_model) == (6, 6, 768)
    assert (config.encoder_attention_heads, config.encoder_ffn_dim, config.vocab_size) == (12, 3072, 30522)
    assert config.scale_embedding and config.activation_function == "gelu"
    assert (config.pad_token_id, config.eos_token_id, config.max_position_embeddings) == (0, 102, 512)


@torch.no_grad()
def test_cross_attention_mask_hides_encoder_positions_from_the_decoder():
    model = make_model("mass", hf_ssl.MassForConditionalGeneration).eval()
    vocab = TINY_CONFIGS["mass"].vocab_size
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(5, vocab, (2, 8), generator=g)
    decoder_ids = torch.randint(5, vocab, (2, 3), generator=g)
    encoded = model.get_encoder()(ids).last_hidden_state
    hidden = torch.ones_like(ids)
    hidden[:, 2:5] = 0  # the masked span's encoder positions
    perturbed = encoded.clone()
    perturbed[:, 2:5] += 1.0

    def logits(states, cross_mask):
        return model(
            encoder_outputs=(states,), decoder_input_ids=decoder_ids, cross_attention_mask=cross_mask
        ).logits

    torch.testing.assert_close(logits(perturbed, hidden), logits(encoded, hidden))
    assert not torch.allclose(logits(perturbed, None), logits(encoded, None))


@torch.no_grad()
def test_span_decoding_at_original_positions_differs_from_positions_from_zero():
    model = make_model("mass", hf_ssl.MassForConditionalGeneration).eval()
    ids = torch.randint(5, 100, (1, 10), generator=torch.Generator().manual_seed(1))
    span = ids[:, 4:7]
    decoder_ids = torch.cat([ids[:, 3:4], span[:, :-1]], dim=1)  # the span shifted right
    at_span = model(ids, decoder_input_ids=decoder_ids, decoder_position_ids=torch.arange(4, 7)[None]).logits
    from_zero = model(ids, decoder_input_ids=decoder_ids).logits
    assert not torch.allclose(at_span, from_zero)


def test_mass_learns_the_masked_spans_from_its_collator():
    from hf_ssl.objectives import MaskedSeq2SeqCollator

    model = make_model("mass", hf_ssl.MassForConditionalGeneration).train()
    collator = MaskedSeq2SeqCollator(
        vocab_size=128, mask_token_id=5, pad_token_id=0, mask_cross_attention=True, seed=0
    )
    g = torch.Generator().manual_seed(0)
    sentences = [torch.randint(6, 128, (n,), generator=g).tolist() for n in (12, 9, 16, 7)]
    batch = collator(sentences)
    assert set(batch) >= {"decoder_position_ids", "cross_attention_mask", "decoder_input_ids", "labels"}
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(40):
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
