"""BART denoising: each fairseq noise function on its own, their composition, and the collator."""

from __future__ import annotations

import collections
import math
import pickle

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hf_ssl.constants import IGNORE_INDEX
from hf_ssl.objectives import (
    BART_LARGE_NOISE,
    DenoisingCollator,
    insert_noise,
    mask_spans,
    permute_sentences,
    poisson_span_distribution,
    rotate_document,
    sample_span_lengths,
    word_start_mask_from_tokenizer,
)

BOS, PAD, EOS, UNK, MASK, STOP = 0, 1, 2, 3, 4, 5
SPECIALS = {BOS, PAD, EOS, UNK, MASK}
VOCAB = 400
SETTINGS = settings(max_examples=40, deadline=None)


def document(length: int, offset: int = 10) -> list[int]:
    """<s> + distinct ordinary ids + </s>, so every source token can be traced to the original."""
    return [BOS, *range(offset, offset + length), EOS]


def generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def is_subsequence(short: list[int], long: list[int]) -> bool:
    iterator = iter(long)
    return all(token in iterator for token in short)


def mask_budget(num_word_starts: int, ratio: float) -> int:
    # fairseq multiplies a float32 tensor: ceil(10 * 0.3) is 3 there.
    return math.ceil(float(torch.tensor(float(num_word_starts)) * torch.tensor(ratio)))


def test_mask_budget_is_computed_in_float32_as_fairseq():
    out = mask_spans(torch.tensor(document(10)), 0.3, mask_token_id=MASK, generator=generator())
    assert (out == MASK).sum() == 3  # float64 would give ceil(3.0000000000000004) = 4


def test_poisson_span_distribution_is_fairseqs_truncated_pmf():
    for lam in (3.0, 3.5):
        pmf = poisson_span_distribution(lam)
        expected = [math.exp(-lam) * lam**k / math.factorial(k) for k in range(len(pmf))]
        assert torch.allclose(pmf, torch.tensor(expected, dtype=torch.float32))
        assert pmf[-1] < 1e-7 <= pmf[-2]
    with pytest.raises(ValueError, match="poisson_lambda must be > 0"):
        poisson_span_distribution(0.0)


def test_sampled_span_lengths_sum_to_the_budget_with_poisson_mean_and_zero_rate():
    pmf = poisson_span_distribution(3.0)
    lengths = torch.cat([sample_span_lengths(500, pmf, generator=generator(seed)) for seed in range(20)])
    assert all(int(sample_span_lengths(b, pmf, generator=generator(b)).sum()) == b for b in range(1, 60))
    assert abs(float(lengths.float().mean()) - 3.0) < 0.1
    assert abs(float((lengths == 0).float().mean()) - math.exp(-3.0)) < 0.01


@SETTINGS
@given(st.integers(1, 80), st.floats(0.0, 1.0), st.integers(0, 2**31))
def test_token_masking_masks_exactly_the_budget_and_never_the_first_or_last_token(length, ratio, seed):
    original = torch.tensor(document(length))
    out = mask_spans(original, ratio, mask_token_id=MASK, replace_length=1, generator=generator(seed))
    assert out.shape == original.shape
    assert int((out == MASK).sum()) == mask_budget(length, ratio)
    assert out[0] == BOS and out[-1] == EOS
    assert torch.equal(out[out != MASK], original[out != MASK])


@SETTINGS
@given(st.integers(1, 80), st.floats(0.0, 1.0), st.integers(0, 2**31))
def test_token_deletion_deletes_exactly_the_budget(length, ratio, seed):
    original = document(length)
    out = mask_spans(
        torch.tensor(original), ratio, mask_token_id=MASK, replace_length=0, generator=generator(seed)
    )
    assert out.numel() == len(original) - mask_budget(length, ratio)
    assert is_subsequence(out.tolist(), original) and out[0] == BOS and out[-1] == EOS


def test_whole_word_masking_counts_words_and_masks_every_piece_of_a_word():
    # 30 words of 1-3 pieces: a word-start id (100 + word) then continuation ids (200 + running).
    rng = generator(0)
    pieces, starts, words = [BOS], [False], []
    for word in range(30):
        size = int(torch.randint(1, 4, (), generator=rng))
        piece_ids = [100 + word] + [200 + len(pieces) + k for k in range(size - 1)]
        words.append(piece_ids)
        pieces += piece_ids
        starts += [True] + [False] * (size - 1)
    pieces.append(EOS)
    starts.append(False)
    for seed in range(30):
        out = mask_spans(
            torch.tensor(pieces),
            0.3,
            mask_token_id=MASK,
            word_starts=torch.tensor(starts),
            replace_length=1,
            generator=generator(seed),
        ).tolist()
        assert out.count(MASK) == mask_budget(30, 0.3)  # the budget counts words, one <mask> each
        kept = set(out)
        assert all(len({piece in kept for piece in word}) == 1 for word in words)
        assert sum(word[0] not in kept for word in words) == mask_budget(30, 0.3)


@SETTINGS
@given(st.integers(2, 120), st.integers(0, 2**31))
def test_text_infilling_replaces_spans_by_single_masks_within_the_budget(length, seed):
    original = document(length)
    pmf = poisson_span_distribution(3.0)
    out = mask_spans(
        torch.tensor(original), 0.3, mask_token_id=MASK, span_distribution=pmf, generator=generator(seed)
    ).tolist()
    kept = [t for t in out if t != MASK]
    budget = mask_budget(length, 0.3)
    assert out[0] == BOS and out[-1] == EOS and is_subsequence(kept, original)
    assert len(original) - len(kept) <= budget  # spans can overlap, so at most the budget
    # The span lengths are the first draw: one <mask> per span, a 0-length span being an insertion
    # (fairseq's ceil(L' * (k / L')) insertion count can round one up).
    spans = sample_span_lengths(budget, pmf, generator=generator(seed)) if budget else torch.zeros(0)
    assert out.count(MASK) <= len(spans) + 1
    assert out.count(MASK) >= int((spans == 0).sum())


def test_text_infilling_masks_about_the_ratio_and_removes_far_more_tokens_than_masks():
    removed, masks, total = 0, 0, 0
    pmf = poisson_span_distribution(3.0)
    for seed in range(200):
        original = document(200)
        out = mask_spans(
            torch.tensor(original), 0.3, mask_token_id=MASK, span_distribution=pmf, generator=generator(seed)
        ).tolist()
        removed += len(original) - sum(t != MASK for t in out)
        masks += out.count(MASK)
        total += 200
    assert 0.26 < removed / total <= 0.3  # overlapping spans merge, so a little under the budget
    assert 2.5 < removed / masks < 3.6  # about lambda tokens per <mask>


def test_a_zero_length_span_inserts_a_mask_and_a_length_one_span_masks_one_token():
    zero_or_one = torch.tensor([0.5, 0.5])
    original = document(40)
    budget = mask_budget(40, 0.3)
    for seed in range(20):
        out = mask_spans(
            torch.tensor(original),
            0.3,
            mask_token_id=MASK,
            span_distribution=zero_or_one,
            generator=generator(seed),
        ).tolist()
        spans = sample_span_lengths(budget, zero_or_one, generator=generator(seed))
        assert int(spans.sum()) == budget
        kept = [t for t in out if t != MASK]
        assert len(original) - len(kept) == budget and is_subsequence(kept, original)
        assert out.count(MASK) in (len(spans), len(spans) + 1)  # + 1: fairseq's float ceil
        assert out[0] == BOS and out[-1] == EOS
    with pytest.raises(ValueError, match="mass above 0"):
        sample_span_lengths(3, torch.tensor([1.0]))


def test_replace_length_minus_one_masks_every_token_of_a_span_in_place():
    original = torch.tensor(document(100))
    no_zero_spans = torch.tensor([0.0, 0.5, 0.5])  # lengths 1 or 2, so no insertion
    for seed in range(20):
        out = mask_spans(
            original,
            0.3,
            mask_token_id=MASK,
            span_distribution=no_zero_spans,
            replace_length=-1,
            generator=generator(seed),
        )
        masked = out == MASK
        assert out.shape == original.shape and torch.equal(out[~masked], original[~masked])
        assert 15 <= int(masked.sum()) <= mask_budget(100, 0.3) == 31  # float32: 100 * 0.3 > 30


def test_mask_random_draws_only_non_special_tokens():
    random_ids = torch.tensor(sorted(set(range(VOCAB)) - SPECIALS))
    out = mask_spans(
        torch.tensor(document(300)),
        0.5,
        mask_token_id=MASK,
        replace_length=1,
        random_ratio=1.0,
        random_ids=random_ids,
        generator=generator(),
    )
    assert not torch.isin(out[1:-1], torch.tensor(sorted(SPECIALS))).any()
    assert (out != torch.tensor(document(300))).sum() > 100


@SETTINGS
@given(st.integers(0, 40), st.integers(1, 30), st.floats(0.0, 1.0), st.integers(0, 2**31))
def test_insertion_adds_n_tokens_inside_the_document(length, n, random_ratio, seed):
    original = document(length)
    random_ids = torch.arange(200, 300)
    out = insert_noise(
        torch.tensor(original),
        n,
        mask_token_id=MASK,
        random_ratio=random_ratio,
        random_ids=random_ids,
        generator=generator(seed),
    ).tolist()
    inserted = [t for t in out if t == MASK or t >= 200]
    assert len(out) == len(original) + n and len(inserted) == n
    assert sum(t >= 200 for t in out) == math.ceil(n * random_ratio)
    assert [t for t in out if t != MASK and t < 200] == original and out[0] == BOS and out[-1] == EOS


@SETTINGS
@given(st.lists(st.integers(1, 6), min_size=1, max_size=10), st.booleans(), st.integers(0, 2**31))
def test_sentence_permutation_keeps_every_sentence_whole(sizes, tail_without_stop, seed):
    sentences, next_id = [], 10
    for size in sizes:
        sentences.append([*range(next_id, next_id + size), STOP])
        next_id += size
    if tail_without_stop:
        sentences[-1] = sentences[-1][:-1] or [next_id]  # the token before </s> ends the last one
    original = [BOS, *[t for s in sentences for t in s], EOS]
    out = permute_sentences(torch.tensor(original), STOP, 1.0, generator=generator(seed)).tolist()
    assert out[0] == BOS and out[-1] == EOS and sorted(out) == sorted(original)
    body, remaining = out[1:-1], list(sentences)
    while body:  # the body must be the sentences, each whole, in some order (ids are distinct)
        match = next(s for s in remaining if body[: len(s)] == s)
        remaining.remove(match)
        body = body[len(match) :]
    assert not remaining


def test_permute_sentences_shuffles_every_order_with_ratio_one_and_none_with_ratio_zero():
    original = torch.tensor([BOS, 10, STOP, 11, STOP, 12, STOP, EOS])
    orders = collections.Counter(
        tuple(permute_sentences(original, STOP, 1.0, generator=generator(s)).tolist()) for s in range(600)
    )
    assert len(orders) == 6 and all(abs(c / 600 - 1 / 6) < 0.06 for c in orders.values())
    assert torch.equal(permute_sentences(original, STOP, 0.0, generator=generator()), original)


def test_rotation_keeps_bos_and_eos_and_offsets_are_uniform_in_1_to_len_minus_1():
    original = torch.tensor(document(5))  # 7 tokens: offsets 1..6, of which 1 and 6 give the identity
    counts = collections.Counter(
        tuple(rotate_document(original, generator=generator(s)).tolist()) for s in range(3000)
    )
    inner = original[1:-1].tolist()
    rotations = {tuple([BOS, *inner[k:], *inner[:k], EOS]) for k in range(5)}
    assert set(counts) == rotations
    assert abs(counts[tuple(original.tolist())] / 3000 - 2 / 6) < 0.04


def make_collator(**kwargs):
    kwargs.setdefault("full_stop_token_id", STOP)
    kwargs.setdefault("special_token_ids", (UNK,))  # what from_tokenizer passes: every special id
    return DenoisingCollator(vocab_size=VOCAB, mask_token_id=MASK, **kwargs)


@SETTINGS
@given(
    st.lists(
        st.lists(st.integers(6, VOCAB - 1) | st.just(STOP), min_size=0, max_size=60), min_size=1, max_size=6
    ),
    st.sampled_from([{}, BART_LARGE_NOISE, {"rotate_ratio": 1.0, "insert_ratio": 0.1}]),
    st.integers(0, 2**31),
)
def test_collator_targets_are_the_original_documents_shifted_behind_eos(bodies, noise, seed):
    documents = [[BOS, *body, EOS] for body in bodies]
    out = make_collator(seed=seed, **noise)(documents)
    width = max(map(len, documents))
    assert out["labels"].shape == out["decoder_input_ids"].shape == out["decoder_attention_mask"].shape
    assert out["labels"].shape == (len(documents), width)
    assert out["input_ids"].shape == out["attention_mask"].shape and out["input_ids"].dtype == torch.long
    for i, doc in enumerate(documents):
        n = len(doc)
        assert out["labels"][i].tolist() == doc + [IGNORE_INDEX] * (width - n)
        assert out["decoder_input_ids"][i].tolist() == [EOS, *doc[:-1]] + [PAD] * (width - n)
        m = int(out["attention_mask"][i].sum())
        source = out["input_ids"][i, :m].tolist()
        assert source[0] == BOS and source[-1] == EOS and (out["input_ids"][i, m:] == PAD).all()
        assert not (set(source[1:-1]) & {BOS, EOS, PAD, UNK})  # random tokens are never special


def test_same_seed_same_noise_new_noise_each_call_and_pickle_continues():
    documents = [document(80), document(50, offset=200)]
    a, b = make_collator(seed=4), make_collator(seed=4)
    first, second = a(documents), b(documents)
    assert all(torch.equal(first[k], second[k]) for k in first)
    assert not torch.equal(first["input_ids"], a(documents)["input_ids"])
    clone = pickle.loads(pickle.dumps(a))
    assert torch.equal(a(documents)["input_ids"], clone(documents)["input_ids"])


def test_from_tokenizer_reads_bart_ids_full_stop_and_byte_level_word_starts(bpe_tokenizer):
    collator = DenoisingCollator.from_tokenizer(bpe_tokenizer, seed=0)
    assert (collator.bos_token_id, collator.pad_token_id, collator.eos_token_id, collator.mask_token_id) == (
        BOS,
        PAD,
        EOS,
        MASK,
    )
    assert collator.full_stop_token_id == bpe_tokenizer.convert_tokens_to_ids(".")
    starts = word_start_mask_from_tokenizer(bpe_tokenizer)
    assert starts.shape == (len(bpe_tokenizer),)
    for token, index in bpe_tokenizer.get_vocab().items():
        if index not in bpe_tokenizer.all_special_ids:
            assert bool(starts[index]) == token.startswith("Ġ")
    texts = ["The cat sat on the mat. It was happy.", "Dogs bark at night. Birds sing."]
    out = collator([bpe_tokenizer(t)["input_ids"] for t in texts])
    assert (
        out["labels"][0, : len(bpe_tokenizer(texts[0])["input_ids"])].tolist()
        == bpe_tokenizer(texts[0])["input_ids"]
    )


def test_tokenizer_without_a_mask_token_is_refused():
    tokenizer = type(
        "Tok", (), {"mask_token_id": None, "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2}
    )()
    with pytest.raises(ValueError, match="no mask token"):
        DenoisingCollator.from_tokenizer(tokenizer)


@pytest.mark.parametrize(
    ("kwargs", "features", "message"),
    [
        ({}, [[BOS, 10, 11]], r"must be a document <s> \.\.\. </s>"),
        ({}, [[]], r"feature 0 has no tokens"),
        ({}, [[BOS, 10, 999, EOS]], "token id 999 outside"),
        ({"mask_ratio": 1.5}, None, r"mask_ratio must be a number in \[0, 1\]"),
        ({"rotate_ratio": -0.1}, None, r"rotate_ratio must be a number in \[0, 1\]"),
        ({"replace_length": 2}, None, "replace_length must be -1"),
        ({"mask_length": "subword", "replace_length": -1}, None, "takes replace_length 0 or 1"),
        ({"mask_length": "word"}, None, "needs word_start_mask"),
        ({"mask_length": "sentence"}, None, "mask_length must be"),
        ({"word_start_mask": [True] * 3}, None, "one entry per vocabulary id"),
        ({"poisson_lambda": -1.0}, None, "poisson_lambda must be > 0"),
        ({"mask_token_id": VOCAB}, None, "mask_token_id must be an int"),
    ],
)
def test_bad_configuration_or_input_raises_a_clear_error(kwargs, features, message):
    with pytest.raises(ValueError, match=message):
        params = {"full_stop_token_id": STOP, "vocab_size": VOCAB, "mask_token_id": MASK, **kwargs}
        DenoisingCollator(**params)(features)
