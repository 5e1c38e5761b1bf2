"""Property tests of the pure noise samplers in hf_ssl.objectives.noise."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hf_ssl.constants import IGNORE_INDEX
from hf_ssl.objectives import noise
from hf_ssl.objectives.noise import (
    apply_mask_replace,
    bert_num_to_predict,
    select_exact_count,
    select_whole_words,
)

SETTINGS = settings(max_examples=50, deadline=None)


@st.composite
def candidate_batches(draw):
    """(candidates (b, t), num_to_select (b,), seed) with lengths 1..64 and batch 1..8."""
    batch_size = draw(st.integers(1, 8))
    length = draw(st.integers(1, 64))
    rows = draw(
        st.lists(
            st.lists(st.booleans(), min_size=length, max_size=length),
            min_size=batch_size,
            max_size=batch_size,
        )
    )
    counts = draw(st.lists(st.integers(0, 70), min_size=batch_size, max_size=batch_size))
    return torch.tensor(rows, dtype=torch.bool), torch.tensor(counts), draw(st.integers(0, 2**31))


@st.composite
def word_batches(draw):
    """(word_ids, candidates, num_to_select, seed): random segmentations into words of 1..4 tokens."""
    candidates, counts, seed = draw(candidate_batches())
    word_rows = []
    for _ in range(candidates.shape[0]):
        row: list[int] = []
        word = 0
        while len(row) < candidates.shape[1]:
            size = draw(st.integers(1, 4))
            row.extend([-1] if draw(st.integers(0, 9)) == 0 else [word] * size)
            word += 1
        word_rows.append(row[: candidates.shape[1]])
    return torch.tensor(word_rows), candidates, counts, seed


def test_bert_count_matches_python_round_for_every_length():
    lengths = torch.arange(0, 2049)
    for probability in (0.15, 0.1, 0.2, 0.3, 0.5, 0.0, 1.0):
        for max_predictions in (None, 20, 80):
            got = bert_num_to_predict(lengths, probability, max_predictions).tolist()
            cap = max_predictions if max_predictions is not None else 10**9
            at_least = 1 if probability > 0 else 0  # BERT's max(1, ...) for a positive rate; 0 is none
            expected = [min(cap, max(at_least, round(n * probability))) for n in lengths.tolist()]
            assert got == expected


def test_bert_count_table_is_bert_counts_of_every_length_and_read_only():
    for probability, max_predictions in ((0.15, None), (0.15, 20), (0.5, 80)):
        table = noise.bert_count_table(512, probability, max_predictions)
        cap = max_predictions if max_predictions is not None else 10**9
        assert table.tolist() == [min(cap, max(1, round(n * probability))) for n in range(513)]
        with pytest.raises(ValueError, match="read-only"):
            table[0] = 7  # shared by every collator asking for the same settings


def test_bert_count_rounds_half_to_even_and_counts_at_least_one():
    assert bert_num_to_predict(torch.tensor([10, 30, 1, 0]), 0.15).tolist() == [2, 4, 1, 1]


@SETTINGS
@given(candidate_batches())
def test_exact_count_selects_min_of_budget_and_candidates(batch):
    candidates, counts, seed = batch
    selected = select_exact_count(candidates, counts, torch.Generator().manual_seed(seed))
    assert not (selected & ~candidates).any()
    assert selected.sum(1).tolist() == torch.minimum(counts, candidates.sum(1)).tolist()


def test_exact_count_never_selects_a_non_candidate_when_asked_for_the_whole_row():
    # A row asked for every position (k = t) but holding non-candidates, e.g. a lone [CLS]: the
    # k-th score is a non-candidate's, and taking every score up to it would select that token.
    candidates = torch.tensor([[False], [True], [False]])
    counts = torch.tensor([1, 1, -3])  # negative counts select nothing
    selected = select_exact_count(candidates, counts, torch.Generator().manual_seed(0))
    assert selected.tolist() == [[False], [True], [False]]
    candidates = torch.tensor([[False, True, False, True]])
    selected = select_exact_count(candidates, torch.tensor([4]), torch.Generator().manual_seed(0))
    assert selected.tolist() == [[False, True, False, True]]


@pytest.mark.parametrize("levels", [1, 2, 4])
def test_exact_count_breaks_ties_on_the_kth_score_by_position(monkeypatch, levels):
    # Uniforms quantised to a few levels make the k-th score tie with its neighbours in most rows;
    # a row must still get exactly k, the lowest scores first and the lower positions among equals.
    def coarse(shape, generator):
        return (torch.rand(shape, generator=generator) * levels).floor().div(levels).numpy()

    monkeypatch.setattr(noise, "_uniform", coarse)
    generator = torch.Generator().manual_seed(0)
    candidates = torch.rand(64, 40, generator=generator) < 0.8  # (b, t)
    counts = torch.randint(0, 45, (64,), generator=generator)  # (b,), some above the candidates
    selected = select_exact_count(candidates, counts, torch.Generator().manual_seed(1))
    assert selected.sum(1).tolist() == torch.minimum(counts, candidates.sum(1)).tolist()
    scores = torch.from_numpy(coarse(candidates.shape, torch.Generator().manual_seed(1)))
    for row in range(64):
        keys = [(float(scores[row, i]), i) for i in range(40) if candidates[row, i]]
        expected = sorted(keys)[: int(counts[row])]
        assert selected[row].nonzero().squeeze(1).tolist() == sorted(i for _, i in expected)


def test_exact_count_is_uniform_over_candidates():
    candidates = torch.tensor([[True, False, True, True, True, False, True, True]]).repeat(4000, 1)
    selected = select_exact_count(candidates, torch.full((4000,), 2), torch.Generator().manual_seed(0))
    frequency = selected.float().mean(0)
    assert torch.allclose(frequency[candidates[0]], torch.full((6,), 2 / 6), atol=0.03)


@SETTINGS
@given(word_batches())
def test_whole_words_are_selected_whole_within_budget_and_greedily(batch):
    word_ids, candidates, counts, seed = batch
    selected = select_whole_words(word_ids, candidates, counts, torch.Generator().manual_seed(seed))
    assert not (selected & ~candidates).any()
    assert (selected.sum(1) <= counts).all()
    for row in range(word_ids.shape[0]):
        words, previous = [], None  # maximal runs of candidate tokens sharing a word id
        for position in range(word_ids.shape[1]):
            word, candidate = int(word_ids[row, position]), bool(candidates[row, position])
            if not candidate:
                previous = None
                continue
            if word == -1 or word != previous:
                words.append([])
            words[-1].append(position)
            previous = word
        remaining = int(counts[row]) - int(selected[row].sum())
        for word in words:
            flags = {bool(selected[row, p]) for p in word}
            assert len(flags) == 1, f"word {word} partly selected in row {row}"
            if flags == {False}:  # skipped only because it no longer fitted (BERT :379-380)
                assert len(word) > remaining


def test_whole_words_work_with_pre_segmented_chinese():
    # [CLS] 我 喜欢 吃 苹果 和 香蕉 [SEP]: word ids from a segmenter, several characters a word.
    word_ids = torch.tensor([[-1, 0, 1, 1, 2, 3, 3, 4, 5, 5, -1]])
    candidates = word_ids >= 0
    for seed in range(50):
        selected = select_whole_words(
            word_ids, candidates, torch.tensor([4]), torch.Generator().manual_seed(seed)
        )
        for word in range(6):
            chosen = selected[word_ids == word]
            assert chosen.all() or not chosen.any()
        assert int(selected.sum()) <= 4


def test_whole_words_restart_numbering_in_a_second_segment():
    # BatchEncoding.word_ids() numbers each segment from 0: [CLS] a bb [SEP] a bb [SEP].
    word_ids = torch.tensor([[-1, 0, 1, 1, -1, 0, 1, 1, -1]])
    candidates = word_ids >= 0
    lengths_seen = set()
    for seed in range(100):
        selected = select_whole_words(
            word_ids, candidates, torch.tensor([1]), torch.Generator().manual_seed(seed)
        )
        lengths_seen.add(int(selected.sum()))
        assert not selected[0, 2:4].any() and not selected[0, 6:8].any()  # two-token words never fit
    assert lengths_seen == {1}


def test_apply_mask_replace_splits_80_10_10_and_labels_originals():
    generator = torch.Generator().manual_seed(0)
    input_ids = torch.randint(10, 30000, (200, 128), generator=generator)
    selected = torch.zeros_like(input_ids, dtype=torch.bool)
    selected[:, ::6] = True  # 200 * 22 = 4400 per call; five calls give 22k selected tokens
    replacement_ids = torch.arange(10, 30000)
    masked = randomized = kept = 0
    for _ in range(5):
        corrupted, labels = apply_mask_replace(
            input_ids, selected, mask_token_id=3, replacement_ids=replacement_ids, generator=generator
        )
        assert torch.equal(labels[selected], input_ids[selected])
        assert (labels[~selected] == IGNORE_INDEX).all()
        assert torch.equal(corrupted[~selected], input_ids[~selected])
        chosen, original = corrupted[selected], input_ids[selected]
        masked += int((chosen == 3).sum())
        kept += int((chosen == original).sum())
        randomized += int(((chosen != 3) & (chosen != original)).sum())
    total = masked + kept + randomized
    assert total == 5 * int(selected.sum()) > 20_000
    assert abs(masked / total - 0.8) < 0.02
    assert abs(randomized / total - 0.1) < 0.02
    assert abs(kept / total - 0.1) < 0.02


def test_random_replacements_come_only_from_replacement_ids():
    input_ids = torch.full((50, 40), 7)
    selected = torch.ones_like(input_ids, dtype=torch.bool)
    replacement_ids = torch.tensor([11, 13, 17])
    corrupted, _ = apply_mask_replace(
        input_ids, selected, mask_token_id=3, replacement_ids=replacement_ids, mask_prob=0.0, random_prob=1.0
    )
    assert set(corrupted.unique().tolist()) == {11, 13, 17}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: bert_num_to_predict(torch.tensor([3]), 1.5), "1.5"),
        (lambda: bert_num_to_predict(torch.tensor([3]), 0.15, 0), "got 0"),
        (lambda: select_exact_count(torch.ones(3, dtype=torch.bool), torch.tensor([1])), r"\(3,\)"),
        (lambda: select_exact_count(torch.ones(2, 3, dtype=torch.bool), torch.tensor([1])), "2 counts"),
        (lambda: select_exact_count(torch.ones(1, 3, dtype=torch.bool), torch.tensor([1.0])), "float"),
        (
            lambda: select_whole_words(
                torch.zeros(1, 4), torch.ones(1, 3, dtype=torch.bool), torch.tensor([1])
            ),
            r"\(1, 4\)",
        ),
        (
            lambda: apply_mask_replace(
                torch.ones(1, 2, dtype=torch.long),
                torch.ones(1, 2, dtype=torch.bool),
                mask_token_id=3,
                replacement_ids=torch.tensor([5]),
                mask_prob=0.95,
                random_prob=0.1,
            ),
            r"0\.95 \+ 0\.1",
        ),
        (
            lambda: apply_mask_replace(
                torch.ones(1, 2, dtype=torch.long),
                torch.ones(1, 2, dtype=torch.bool),
                mask_token_id=3,
                replacement_ids=torch.tensor([], dtype=torch.long),
            ),
            "replacement_ids is empty",
        ),
    ],
)
def test_invalid_sampler_arguments_raise_with_the_value(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def _sequential_greedy(lengths: list[int], budget: int) -> list[bool]:
    """BERT's loop (create_pretraining_data.py:379-380), word by word."""
    taken = [False] * len(lengths)
    for rank, length in enumerate(lengths):
        if length == 0 or budget <= 0:
            break
        if length <= budget:
            taken[rank] = True
            budget -= length
    return taken


@given(
    st.lists(
        st.tuples(st.lists(st.integers(1, 6), min_size=0, max_size=30), st.integers(-1, 40)),
        min_size=1,
        max_size=6,
    )
)
def test_vectorised_greedy_fill_equals_berts_sequential_loop(rows):
    from hf_ssl.objectives.noise import _greedy_fill

    width = max(len(lengths) for lengths, _ in rows)
    padded = torch.tensor([lengths + [0] * (width - len(lengths)) for lengths, _ in rows], dtype=torch.long)
    budgets = torch.tensor([budget for _, budget in rows])
    expected = [
        _sequential_greedy(row, budget) for row, budget in zip(padded.tolist(), budgets.tolist(), strict=True)
    ]
    assert _greedy_fill(padded.reshape(len(rows), width).numpy(), budgets.numpy()).tolist() == expected
