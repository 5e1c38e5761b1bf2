"""Property tests for the collators that had only example tests: for any input batch each either
returns a well-formed batch satisfying its invariants or raises the documented ValueError."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hf_ssl.constants import IGNORE_INDEX
from hf_ssl.objectives import (
    CBOWCollator,
    CharLMCollator,
    GPTTaskCollator,
    MaskedLMCollator,
    PackingCollator,
)

VOCAB = 40
SPECIALS = (0, 1, 2, 3, 4)
documents = st.lists(st.lists(st.integers(0, VOCAB - 1), min_size=1, max_size=12), min_size=1, max_size=5)


@given(documents, st.integers(1, 3), st.integers(0, 3))
@settings(max_examples=60, deadline=None)
def test_cbow_windows_hold_context_of_real_words_and_never_draw_specials(docs, window, negatives):
    counts = [1] * VOCAB
    collator = CBOWCollator(
        counts=counts, window=window, num_negatives=negatives, special_token_ids=SPECIALS, seed=0
    )
    words = [[t for t in doc if t not in SPECIALS] for doc in docs]
    if not any(len(w) >= 2 for w in words):
        with pytest.raises(ValueError, match="two words"):
            collator(docs)
        return
    batch = collator(docs)
    n = batch["labels"].shape[0]
    assert batch["input_ids"].shape == batch["attention_mask"].shape == (n, 2 * window)
    assert not torch.isin(batch["labels"], torch.tensor(SPECIALS)).any()
    assert (batch["input_ids"][batch["attention_mask"] == 0] == 0).all()  # masked slots are padding
    assert (batch["attention_mask"].sum(-1) >= 1).all()  # every centre has context
    if negatives:
        assert batch["negative_ids"].shape == (n, negatives)
        assert not torch.isin(batch["negative_ids"], torch.tensor(SPECIALS)).any()
        assert not (batch["negative_ids"] == batch["labels"].unsqueeze(1)).any()


words = st.text(alphabet="abcdeé", min_size=1, max_size=60)


@given(st.lists(st.lists(words, max_size=6), min_size=1, max_size=4))
@settings(max_examples=60, deadline=None)
def test_char_lm_batches_are_shaped_and_aligned_or_refused(sentences):
    vocab = {"<S>": 0, "</S>": 1, "<UNK>": 2, "a": 3, "b": 4}
    collator = CharLMCollator(vocab=vocab)
    if any(not sentence for sentence in sentences):
        with pytest.raises(ValueError, match="no words"):
            collator(sentences)
        return
    batch = collator(sentences)
    b, t = len(sentences), max(map(len, sentences))
    assert batch["input_ids"].shape == (b, t, 50)
    assert int(batch["input_ids"].min()) >= 0 and int(batch["input_ids"].max()) < 262
    assert batch["attention_mask"].sum(-1).tolist() == [len(s) for s in sentences]
    for key in ("forward_labels", "backward_labels"):
        labels = batch[key]
        assert labels.shape == (b, t + 2)
        real = labels != IGNORE_INDEX
        assert real.sum(-1).tolist() == [len(s) + 1 for s in sentences]  # the words and one boundary
        assert int(labels[real].max()) < len(vocab)


@given(st.lists(st.lists(st.integers(5, VOCAB - 1), min_size=1, max_size=10), min_size=1, max_size=6))
@settings(max_examples=60, deadline=None)
def test_gpt_classification_rows_are_framed_by_the_task_tokens(texts):
    collator = GPTTaskCollator(
        task="classification", start_token_id=1, delimiter_token_id=2, extract_token_id=3, pad_token_id=0
    )
    batch = collator([{"input_ids": ids, "labels": 1} for ids in texts])
    for row, ids in enumerate(texts):
        length = int(batch["attention_mask"][row].sum())
        assert batch["input_ids"][row, :length].tolist() == [1, *ids, 3]
        assert (batch["input_ids"][row, length:] == 0).all()


@given(st.lists(st.integers(3, 16), min_size=1, max_size=8), st.integers(16, 40))
@settings(max_examples=60, deadline=None)
def test_packing_keeps_every_token_and_label_and_restarts_positions(lengths, row_length):
    mlm = MaskedLMCollator(
        vocab_size=VOCAB, mask_token_id=4, pad_token_id=0, special_token_ids=(1, 2, 3), seed=0
    )
    packing = PackingCollator(mlm, row_length=row_length, pad_token_id=0)
    g = torch.Generator().manual_seed(sum(lengths))
    rows = [torch.randint(5, VOCAB, (n,), generator=g).tolist() for n in lengths]
    batch = packing(rows)
    assert batch["input_ids"].shape[1] == row_length
    assert int(batch["attention_mask"].sum()) == sum(lengths)
    assert int((batch["labels"] != IGNORE_INDEX).sum()) >= len(lengths)  # at least one per document
    starts = ((batch["position_ids"] == 0) & (batch["attention_mask"] == 1)).sum()
    assert int(starts) == len(lengths)  # one restart per packed document
