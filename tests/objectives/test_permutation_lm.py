"""PermutationLMCollator: XLNet's partial prediction, checked by its invariants, against the
factorization-order definition on every small case, and through transformers' XLNet itself."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hf_ssl.constants import IGNORE_INDEX
from hf_ssl.objectives import PermutationLMCollator, permutation_mask

PAD, SEP, CLS = 0, 1, 2
SETTINGS = settings(max_examples=60, deadline=None)


def direct_mask(order: list[int], context: set[int], functional: set[int], length: int) -> np.ndarray:
    """The paper's definition from an explicit factorization order z (a list of positions): the
    context z<=c is read by everyone (and reads only itself); the token at z_t after it reads the
    context and z_<t, a functional token also itself (its content is input, not a target)."""
    place = {position: step for step, position in enumerate(order)}
    blocked = np.ones((length, length), dtype=bool)
    for i, j in itertools.product(range(length), repeat=2):
        if j in context or (i not in context and (place[j] < place[i] or (i == j and i in functional))):
            blocked[i, j] = False
    return blocked


def test_the_mask_equals_the_factorization_order_definition_on_every_small_case():
    cases = 0
    for length in range(1, 6):
        for kinds in itertools.product("cft", repeat=length):  # context, functional, target
            context = {i for i, kind in enumerate(kinds) if kind == "c"}
            functional = {i for i, kind in enumerate(kinds) if kind == "f"}
            hidden = [i for i in range(length) if i not in context]
            for hidden_order in itertools.permutations(hidden):
                order = sorted(context) + list(hidden_order)
                ranks = np.zeros(length, dtype=np.int64)
                ranks[list(hidden_order)] = np.arange(len(hidden_order))
                is_target = np.array([kind == "t" for kind in kinds])
                is_functional = np.array([kind == "f" for kind in kinds])
                expected = direct_mask(order, context, functional, length)
                np.testing.assert_array_equal(permutation_mask(is_target, is_functional, ranks), expected)
                cases += 1
    assert cases > 5000


rows = st.lists(
    st.lists(st.integers(3, 60), min_size=1, max_size=40).map(lambda ids: [CLS, *ids, SEP]),
    min_size=1,
    max_size=4,
)


@SETTINGS
@given(rows, st.sampled_from([2.0, 6.0]), st.integers(1, 5), st.integers(0, 2**31))
def test_partial_prediction_invariants(batch_rows, k, max_span, seed):
    collator = PermutationLMCollator(
        pad_token_id=PAD, special_token_ids=(SEP, CLS), k=k, max_span_length=max_span, seed=seed
    )
    batch = collator([{"input_ids": row} for row in batch_rows])
    blocked = batch["perm_mask"].bool()
    for row, ids in enumerate(batch_rows):
        n = len(ids)
        targets = batch["target_mapping"][row].nonzero()[:, 1].tolist()  # (row's targets,) in order
        assert targets == sorted(set(targets))
        assert len(targets) == max(1, round((n - 2) / k))  # about 1/k of the non-functional tokens
        assert batch["labels"][row, : len(targets)].tolist() == [ids[t] for t in targets]
        assert (batch["labels"][row, len(targets) :] == IGNORE_INDEX).all()
        functional = [0, n - 1]
        hidden = set(targets) | set(functional)
        context = [i for i in range(n) if i not in hidden]
        mask = blocked[row, :n, :n]
        assert all(mask[t, t] for t in targets)  # no target sees itself
        assert not any(mask[f, f] for f in functional)
        for i in context:  # the context reads the context only: no target leaks into it
            assert not mask[i, context].any() and mask[i, sorted(hidden)].all()
        for i in hidden:  # everything hidden reads the whole context
            assert not mask[i, context].any()
        # Among hidden tokens, "reads" is one strict order: i reads exactly the tokens before it.
        before = {i: {j for j in hidden if j != i and not mask[i, j]} for i in hidden}
        order = sorted(hidden, key=lambda i: len(before[i]))
        assert [len(before[i]) for i in order] == list(range(len(order)))
        assert all(before[order[step]] == set(order[:step]) for step in range(len(order)))
        assert blocked[row, :, n:].all()  # padding is read by no one


def test_seeded_collators_repeat_and_spans_follow_the_reference_distribution():
    rows = [{"input_ids": list(range(3, 200))}] * 4
    first = PermutationLMCollator(pad_token_id=PAD, seed=5)(rows)
    again = PermutationLMCollator(pad_token_id=PAD, seed=5)(rows)
    for key in first:
        torch.testing.assert_close(first[key], again[key])
    collator = PermutationLMCollator(pad_token_id=PAD, seed=0)
    runs = []
    for _ in range(200):
        targets = collator([{"input_ids": list(range(3, 400))}])["target_mapping"][0].nonzero()[:, 1]
        gaps = torch.diff(targets) != 1
        runs += torch.diff(
            torch.cat([torch.tensor([-1]), gaps.nonzero()[:, 0], torch.tensor([len(targets) - 1])])
        ).tolist()
    lengths = np.bincount(runs, minlength=7)[1:6] / len(runs)
    # P(n) proportional to 1/n over 1..5 (0.44, 0.22, 0.15, 0.11, 0.09), merged neighbours aside.
    assert lengths[0] > lengths[1] > lengths[2] > lengths[4] and 0.35 < lengths[0] < 0.55


def test_xlnet_reads_only_what_the_order_allows():
    """Through transformers' XLNet: a target's prediction ignores its own token and every target after
    it, and depends on the context."""
    xlnet = pytest.importorskip("transformers").XLNetLMHeadModel
    config_class = pytest.importorskip("transformers").XLNetConfig
    torch.manual_seed(0)
    model = xlnet(
        config_class(vocab_size=64, d_model=32, n_layer=2, n_head=4, d_inner=64, dropout=0.0)
    ).eval()
    collator = PermutationLMCollator(pad_token_id=PAD, special_token_ids=(SEP, CLS), k=3, seed=1)
    batch = collator([{"input_ids": [CLS, *range(10, 30), SEP]}])
    targets = batch["target_mapping"][0].nonzero()[:, 1].tolist()
    blocked = batch["perm_mask"][0].bool()
    last = max(targets, key=lambda t: int((~blocked[t]).sum()))  # the target that reads the most

    def logits(ids: torch.Tensor) -> torch.Tensor:
        inputs = {k: v for k, v in batch.items() if k != "labels"}
        with torch.no_grad():
            return model(**{**inputs, "input_ids": ids}).logits[0]  # (m, V)

    reference = logits(batch["input_ids"])
    first = min(targets, key=lambda t: int((~blocked[t]).sum()))  # reads the context only
    changed = batch["input_ids"].clone()
    changed[0, first] = 5  # the first target's own token: unseen by its own prediction...
    own = targets.index(first)
    torch.testing.assert_close(logits(changed)[own], reference[own])
    assert not torch.allclose(
        logits(changed)[targets.index(last)], reference[targets.index(last)]
    )  # ...seen later
    context = next(i for i in range(1, 21) if i not in targets)
    changed = batch["input_ids"].clone()
    changed[0, context] = 5
    assert not torch.allclose(logits(changed)[own], reference[own])
    loss = model(**batch).loss
    assert torch.isfinite(loss)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"k": 0.5}, "k=0.5"),
        ({"max_span_length": 0}, "max_span_length"),
        ({"pad_token_id": -1}, "pad_token_id"),
    ],
)
def test_bad_settings_are_named(fields, message):
    with pytest.raises(ValueError, match=message):
        PermutationLMCollator(**{"pad_token_id": PAD, **fields})


def test_the_tokenizer_gives_padding_and_the_functional_tokens(wordpiece_tokenizer):
    collator = PermutationLMCollator(tokenizer=wordpiece_tokenizer, seed=0)
    assert collator.pad_token_id == wordpiece_tokenizer.pad_token_id
    assert wordpiece_tokenizer.sep_token_id in collator.special_token_ids
    assert wordpiece_tokenizer.unk_token_id not in collator.special_token_ids
    batch = collator([wordpiece_tokenizer(text) for text in ("Call me Ishmael.", "Some years ago.")])
    assert batch["input_ids"].shape == batch["attention_mask"].shape and "token_type_ids" in batch
