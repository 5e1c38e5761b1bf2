"""Tests of MaskedLMCollator: BERT counts, special tokens, 80/10/10, whole words, validation."""

import pickle

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hf_ssl.constants import IGNORE_INDEX
from hf_ssl.objectives import MaskedLMCollator

PAD, CLS, SEP, MASK, UNK = 0, 1, 2, 3, 4
SPECIALS = (PAD, CLS, SEP, MASK, UNK)
SETTINGS = settings(max_examples=50, deadline=None)


def make_collator(vocab_size=300, **kwargs):
    kwargs.setdefault("special_token_ids", (CLS, SEP, UNK))
    return MaskedLMCollator(vocab_size=vocab_size, mask_token_id=MASK, pad_token_id=PAD, **kwargs)


def expected_count(n, probability=0.15, max_predictions=None):
    count = max(1, round(n * probability))
    return count if max_predictions is None else min(max_predictions, count)


@st.composite
def batches(draw):
    """(vocab_size, rows): 1..8 rows of 1..64 non-pad ids, specials sprinkled in, maybe [CLS]..[SEP]."""
    vocab_size = draw(st.integers(50, 400))
    token = st.one_of(st.integers(5, vocab_size - 1), st.sampled_from([CLS, SEP, MASK, UNK]))
    rows = []
    for _ in range(draw(st.integers(1, 8))):
        row = draw(st.lists(st.integers(5, vocab_size - 1) | token, min_size=1, max_size=64))
        if draw(st.booleans()) and len(row) <= 62:
            row = [CLS, *row, SEP]
        rows.append(row)
    return vocab_size, rows


@SETTINGS
@given(batches(), st.sampled_from([None, 1, 3, 20]), st.integers(0, 2**31))
def test_every_row_gets_the_bert_count_of_predictions_on_non_special_tokens(batch, max_predictions, seed):
    vocab_size, rows = batch
    collator = make_collator(vocab_size, max_predictions=max_predictions, seed=seed)
    out = collator(rows)
    length = max(map(len, rows))
    assert out["input_ids"].shape == out["labels"].shape == out["attention_mask"].shape == (len(rows), length)
    for i, row in enumerate(rows):
        labels, corrupted = out["labels"][i, : len(row)], out["input_ids"][i, : len(row)]
        original = torch.tensor(row)
        selected = labels != IGNORE_INDEX
        candidates = sum(token not in SPECIALS for token in row)
        assert int(selected.sum()) == min(
            expected_count(len(row), max_predictions=max_predictions), candidates
        )
        assert torch.equal(labels[selected], original[selected])
        assert not any(token in SPECIALS for token in original[selected].tolist())
        assert torch.equal(corrupted[~selected], original[~selected])
        replaced = corrupted[selected & (corrupted != MASK)]
        assert not any(token in SPECIALS for token in replaced.tolist())
        assert out["attention_mask"][i].tolist() == [1] * len(row) + [0] * (length - len(row))
        assert (out["input_ids"][i, len(row) :] == PAD).all()
        assert (out["labels"][i, len(row) :] == IGNORE_INDEX).all()


@SETTINGS
@given(batches(), st.integers(0, 2**31))
def test_special_tokens_are_never_inserted_as_random_replacements(batch, seed):
    vocab_size, rows = batch
    collator = make_collator(
        vocab_size, mlm_probability=1.0, mask_replace_prob=0.0, random_replace_prob=1.0, seed=seed
    )
    out = collator(rows)
    selected = out["labels"] != IGNORE_INDEX
    assert not torch.isin(out["input_ids"][selected], torch.tensor(SPECIALS)).any()


def test_mask_random_keep_split_is_80_10_10_over_20k_predictions():
    generator = torch.Generator().manual_seed(0)
    rows = torch.randint(5, 30000, (1100, 128), generator=generator)
    out = make_collator(30000, seed=1)(list(rows))
    selected = out["labels"] != IGNORE_INDEX
    chosen, original = out["input_ids"][selected], rows[selected]
    total = chosen.numel()
    assert total == 1100 * 19  # round(0.15 * 128) = 19 per row
    assert abs(float((chosen == MASK).float().mean()) - 0.8) < 0.02
    assert abs(float(((chosen != MASK) & (chosen != original)).float().mean()) - 0.1) < 0.02
    assert abs(float((chosen == original).float().mean()) - 0.1) < 0.02


def test_same_seed_gives_identical_batches_and_each_call_draws_new_masks():
    rows = [list(range(5, 105)), list(range(100, 160))]
    first, second = make_collator(seed=7), make_collator(seed=7)
    a1, a2 = first(rows), first(rows)
    b1, b2 = second(rows), second(rows)
    for key in a1:
        assert torch.equal(a1[key], b1[key]) and torch.equal(a2[key], b2[key])
    assert not torch.equal(a1["labels"], a2["labels"])  # RoBERTa's dynamic masking


def test_unseeded_collators_draw_different_masks():
    rows = [list(range(5, 205))]
    assert not torch.equal(make_collator()(rows)["labels"], make_collator()(rows)["labels"])


def test_pickled_collator_continues_the_same_random_stream():
    collator = make_collator(seed=3)
    collator([list(range(5, 50))])
    clone = pickle.loads(pickle.dumps(collator))
    assert torch.equal(collator([list(range(5, 50))])["labels"], clone([list(range(5, 50))])["labels"])


def test_dataloader_workers_reseed_so_they_do_not_repeat_each_other(monkeypatch):
    rows = [list(range(5, 205))]
    outputs = []
    for worker_seed in (100, 101):
        collator = make_collator(seed=0)
        info = type("WorkerInfo", (), {"seed": worker_seed, "id": worker_seed - 100})()
        monkeypatch.setattr(torch.utils.data, "get_worker_info", lambda info=info: info)
        outputs.append(collator(rows)["labels"])
    assert not torch.equal(outputs[0], outputs[1])


def test_whole_words_are_masked_whole_and_within_budget():
    generator = torch.Generator().manual_seed(0)
    features = []
    for _ in range(64):
        word_ids, word = [None], 0
        while len(word_ids) < 60:
            word_ids += [word] * int(torch.randint(1, 4, (), generator=generator))
            word += 1
        word_ids = [*word_ids[:60], None]
        ids = [CLS, *torch.randint(5, 300, (59,), generator=generator).tolist(), SEP]
        features.append({"input_ids": ids, "word_ids": word_ids})
    out = make_collator(whole_word_mask=True, max_predictions=7, seed=0)(features)
    selected = out["labels"] != IGNORE_INDEX
    assert (selected.sum(1) <= 7).all() and selected.sum(1).float().mean() > 5
    for i, feature in enumerate(features):
        for word in set(feature["word_ids"]) - {None}:
            positions = [p for p, w in enumerate(feature["word_ids"]) if w == word]
            assert len({bool(selected[i, p]) for p in positions}) == 1
        assert not selected[i, 0] and not selected[i, 60]


def test_whole_word_masking_works_for_pre_segmented_chinese():
    # 我 喜欢 吃 苹果: a segmenter groups characters into words; each character is one token id.
    feature = {"input_ids": [CLS, 50, 51, 52, 53, 54, 55, SEP], "word_ids": [None, 0, 1, 1, 2, 3, 3, None]}
    collator = make_collator(whole_word_mask=True, seed=0)
    seen = set()
    for _ in range(100):
        selected = (collator([feature])["labels"][0] != IGNORE_INDEX).tolist()
        assert selected[2] == selected[3] and selected[5] == selected[6]
        assert sum(selected) == 1  # round(0.15 * 8) = 1: only the one-character words fit
        seen.add(selected.index(True))
    assert seen == {1, 4}


def test_special_tokens_mask_and_attention_mask_exclude_positions():
    feature = {
        "input_ids": [5, 6, 7, 8, 9, 10, 11, 12],
        "special_tokens_mask": [1, 1, 1, 1, 0, 0, 1, 1],
        "attention_mask": [1, 1, 1, 1, 1, 1, 1, 0],
    }
    collator = make_collator(mlm_probability=1.0, seed=0)
    out = collator([feature])
    assert (out["labels"][0] != IGNORE_INDEX).tolist() == [False] * 4 + [True, True] + [False] * 2
    assert out["attention_mask"][0].tolist() == feature["attention_mask"]


def test_token_type_ids_are_padded_with_zero_and_pad_to_multiple_of_is_honoured():
    features = [
        {"input_ids": [CLS, 5, SEP, 6, SEP], "token_type_ids": [0, 0, 0, 1, 1]},
        {"input_ids": [CLS, 5, SEP], "token_type_ids": [0, 0, 0]},
    ]
    out = make_collator(pad_to_multiple_of=8, seed=0)(features)
    assert out["token_type_ids"].tolist() == [[0, 0, 0, 1, 1, 0, 0, 0], [0] * 8]
    assert {key: tuple(value.shape) for key, value in out.items()} == {
        key: (2, 8) for key in ("input_ids", "attention_mask", "labels", "token_type_ids")
    }


def test_attention_mask_is_returned_for_lists_and_tensors_of_ids():
    for rows in ([[5, 6, 7], [8]], [torch.tensor([5, 6, 7]), torch.tensor([8])]):
        out = make_collator(seed=0)(rows)
        assert out["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
        assert set(out) == {"input_ids", "attention_mask", "labels"}


@SETTINGS
@given(batches(), st.booleans(), st.integers(0, 2**31 - 1))
def test_tensor_rows_give_the_same_batch_as_lists_of_the_same_ids(batch, as_features, seed):
    vocab_size, rows = batch
    tensors = [torch.tensor(row, dtype=torch.int32) for row in rows]  # any integer dtype
    if as_features:
        rows = [{"input_ids": row, "token_type_ids": [0] * len(row)} for row in rows]
        tensors = [{"input_ids": t, "token_type_ids": torch.zeros_like(t)} for t in tensors]
    from_lists = make_collator(vocab_size, seed=seed)(rows)
    from_tensors = make_collator(vocab_size, seed=seed)(tensors)
    assert from_lists.keys() == from_tensors.keys()
    for key, value in from_lists.items():
        assert torch.equal(value, from_tensors[key]) and from_tensors[key].dtype == torch.long, key


def test_whole_word_masking_reads_tensor_word_ids_with_minus_one_for_no_word():
    ids = [[CLS, 5, 6, 7, 8, 9, SEP], [CLS, 10, 11, SEP]]
    words = [[None, 0, 0, 1, 2, 2, None], [None, 0, 1, None]]
    lists = [{"input_ids": i, "word_ids": w} for i, w in zip(ids, words, strict=True)]
    tensors = [
        {"input_ids": torch.tensor(i), "word_ids": torch.tensor([-1 if x is None else x for x in w])}
        for i, w in zip(ids, words, strict=True)
    ]
    for seed in range(20):
        a = make_collator(seed=seed, whole_word_mask=True)(lists)
        b = make_collator(seed=seed, whole_word_mask=True)(tensors)
        assert all(torch.equal(a[key], b[key]) for key in a)


def test_float_tensor_rows_are_refused_with_their_dtype():
    with pytest.raises(TypeError, match="float32"):
        make_collator(seed=0)([torch.tensor([5.0, 6.0])])


def test_extra_keys_pass_through_stacked_and_consumed_keys_do_not():
    features = [
        {"input_ids": [CLS, 5, SEP], "next_sentence_label": 1, "word_ids": [None, 0, None]},
        {"input_ids": [CLS, 6, 7, SEP], "next_sentence_label": 0, "word_ids": [None, 0, 1, None]},
    ]
    out = make_collator(seed=0)(features)
    assert out["next_sentence_label"].tolist() == [1, 0] and out["next_sentence_label"].dtype == torch.long
    assert "word_ids" not in out and "special_tokens_mask" not in out


class FakeTokenizer:
    name_or_path = "fake-bert"
    mask_token_id, pad_token_id, unk_token_id, all_special_ids = MASK, PAD, UNK, [PAD, CLS, SEP, MASK, UNK]

    def __len__(self):
        return 120


def test_from_tokenizer_reads_ids_and_lets_kwargs_override():
    collator = MaskedLMCollator.from_tokenizer(FakeTokenizer(), mlm_probability=0.2, seed=1)
    assert (collator.vocab_size, collator.mask_token_id, collator.pad_token_id) == (120, MASK, PAD)
    assert set(collator.special_token_ids) == {PAD, CLS, SEP, MASK} and collator.mlm_probability == 0.2


def test_from_tokenizer_rejects_a_tokenizer_without_mask_token():
    tokenizer = FakeTokenizer()
    tokenizer.mask_token_id = None
    with pytest.raises(ValueError, match=r"FakeTokenizer\('fake-bert'\) has no mask token"):
        MaskedLMCollator.from_tokenizer(tokenizer)


def test_from_tokenizer_works_with_a_real_wordpiece_tokenizer(tmp_path):
    from transformers import BertTokenizer

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "##s", "the"]
    (tmp_path / "vocab.txt").write_text("\n".join(vocab))
    tokenizer = BertTokenizer(str(tmp_path / "vocab.txt"))
    collator = MaskedLMCollator.from_tokenizer(tokenizer, mlm_probability=1.0, whole_word_mask=True, seed=0)
    encoding = tokenizer("hello worlds the")
    out = collator([{**encoding, "word_ids": encoding.word_ids()}])
    selected = (out["labels"][0] != IGNORE_INDEX).tolist()
    assert selected == [False, True, True, True, True, False]  # [CLS]/[SEP] never, world+##s together


def test_unknown_tokens_are_masked_like_words_as_in_bert(tmp_path):
    from transformers import BertTokenizer

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello"]
    (tmp_path / "vocab.txt").write_text("\n".join(vocab))
    tokenizer = BertTokenizer(str(tmp_path / "vocab.txt"))
    collator = MaskedLMCollator.from_tokenizer(tokenizer, mlm_probability=1.0, seed=0)
    encoding = tokenizer("hello zebra hello")  # [CLS] hello [UNK] hello [SEP]
    assert encoding["input_ids"][2] == tokenizer.unk_token_id
    labels = collator([dict(encoding)])["labels"][0].tolist()
    assert labels == [IGNORE_INDEX, 5, tokenizer.unk_token_id, 5, IGNORE_INDEX]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mlm_probability": 1.2}, "mlm_probability .*1.2"),
        ({"mask_replace_prob": -0.1}, "mask_replace_prob .*-0.1"),
        ({"mask_replace_prob": 0.95, "random_replace_prob": 0.1}, r"0\.95 \+ 0\.1"),
        ({"max_predictions": 0}, "max_predictions .*got 0"),
        ({"pad_to_multiple_of": 0}, "pad_to_multiple_of .*got 0"),
        ({"vocab_size": 0}, "vocab_size .*got 0"),
        ({"vocab_size": 4}, r"special_token_ids .*vocab_size=4\), got 4"),
        ({"special_token_ids": (CLS, 999)}, r"\[0, vocab_size=300\), got 999"),
        ({"seed": -1}, "seed .*-1"),
    ],
)
def test_invalid_fields_raise_with_the_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_collator(**kwargs)


@pytest.mark.parametrize(
    ("features", "kwargs", "message"),
    [
        ([[5, 300]], {}, r"token id 300 is outside \[0, vocab_size=300\)"),
        ([[5, -2]], {}, "token id -2"),
        ([], {}, "non-empty"),
        (
            [{"input_ids": [5, 6]}],
            {"whole_word_mask": True},
            r"needs 'word_ids'.*remove_unused_columns=False",
        ),
        (
            [{"input_ids": [5, 6], "word_ids": [0]}],
            {"whole_word_mask": True},
            "feature 0 has 1 word_ids but 2",
        ),
        ([{"input_ids": [5], "labels": 1}], {}, "already carry 'labels'"),
        ([{"input_ids": [5]}, {"input_ids": [6], "token_type_ids": [0]}], {}, "feature 1 has keys"),
        ([{"attention_mask": [1]}], {}, "needs 'input_ids'"),
        ([{"input_ids": [5], "text": "hi"}, {"input_ids": [6], "text": "yo"}], {}, "'text'"),
        ([[5, 6.5]], {}, r"feature 0 'input_ids'\[1\] is 6\.5; 'input_ids' must hold integers"),
        ([[5, 6], [7, None]], {}, r"feature 1 'input_ids'\[1\] is None"),
        ([[5, 2**64]], {}, r"feature 0 'input_ids'\[1\] is 18446744073709551616, outside the int64"),
        ([{"input_ids": [5, 6], "attention_mask": [1, "1"]}], {}, r"feature 0 'attention_mask'\[1\] is '1'"),
        ([[5, 6], torch.tensor([[5, 6]])], {}, r"feature 1 'input_ids' must be 1-D, got shape \(1, 2\)"),
    ],
)
def test_invalid_inputs_raise_with_the_value(features, kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make_collator(seed=0, **kwargs)(features)


@st.composite
def rows_with_spans(draw):
    """(rows, spans): [CLS] ids [SEP] rows with non-overlapping (start, end) spans over the ids."""
    rows, spans = [], []
    for _ in range(draw(st.integers(1, 6))):
        n = draw(st.integers(1, 60))
        rows.append([CLS, *draw(st.lists(st.integers(5, 299), min_size=n, max_size=n)), SEP])
        cuts = sorted(draw(st.sets(st.integers(1, n + 1), max_size=12)))
        pairs = [(a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=False) if a < b]
        spans.append(pairs)
    return rows, spans


@SETTINGS
@given(rows_with_spans(), st.sampled_from([None, 4, 20]), st.integers(0, 2**31))
def test_span_groups_are_masked_all_or_nothing_within_the_bert_budget(data, max_predictions, seed):
    rows, spans = data
    features = [{"input_ids": r, "span_groups": s} for r, s in zip(rows, spans, strict=True)]
    out = make_collator(max_predictions=max_predictions, seed=seed)(features)
    selected = out["labels"] != IGNORE_INDEX
    for i, (row, row_spans) in enumerate(zip(rows, spans, strict=True)):
        budget = expected_count(len(row), max_predictions=max_predictions)
        assert int(selected[i].sum()) <= budget
        in_spans = {p for start, end in row_spans for p in range(start, end)}
        if len(in_spans) < len(row) - 2:  # a token outside every span is a unit that always fits
            assert int(selected[i].sum()) >= 1
        for start, end in row_spans:
            assert len({bool(x) for x in selected[i, start:end]}) == 1, (start, end)
        assert not selected[i, 0] and not selected[i, len(row) - 1]
        padded = torch.tensor(row + [PAD] * (selected.shape[1] - len(row)))
        assert torch.equal(out["labels"][i][selected[i]], padded[selected[i]])  # labels are the originals


def test_span_groups_keep_the_80_10_10_split():
    features = [{"input_ids": [CLS, *range(10, 70), SEP], "span_groups": [(1, 4), (10, 16), (30, 33)]}] * 32
    collator = make_collator(seed=0, mlm_probability=0.3)
    counts = torch.zeros(3)
    for _ in range(40):
        out = collator(features)
        selected = out["labels"] != IGNORE_INDEX
        originals = out["labels"][selected]
        shown = out["input_ids"][selected]
        counts += torch.tensor(
            [
                (shown == MASK).sum(),
                ((shown != MASK) & (shown != originals)).sum(),
                (shown == originals).sum(),
            ]
        )
    fractions = counts / counts.sum()
    assert counts.sum() > 10_000
    torch.testing.assert_close(fractions, torch.tensor([0.8, 0.1, 0.1]), atol=0.02, rtol=0)


def test_span_groups_merge_words_when_whole_word_masking_is_on():
    # Words 0..5 of one token each; the span (2, 5) joins three of them into one entity.
    feature = {
        "input_ids": [CLS, 10, 11, 12, 13, 14, 15, SEP],
        "word_ids": [None, 0, 1, 2, 3, 4, 5, None],
        "span_groups": [(2, 5)],
    }
    collator = make_collator(whole_word_mask=True, mlm_probability=0.4, seed=0)
    seen_entity = False
    for _ in range(50):
        selected = collator([feature])["labels"][0] != IGNORE_INDEX
        assert len({bool(x) for x in selected[2:5]}) == 1
        seen_entity |= bool(selected[2])
    assert seen_entity


@pytest.mark.parametrize(
    ("spans", "message"),
    [
        ([(3, 2)], r"span_groups\[0\]=\(3, 2\)"),
        ([(0, 9)], r"end <= 8"),
        ([(1, 4), (3, 5)], r"span_groups\[1\]=\(3, 5\) overlaps"),
        ("1-3", "must be a list of"),
    ],
)
def test_bad_span_groups_raise_naming_the_span(spans, message):
    feature = {"input_ids": [CLS, 10, 11, 12, 13, 14, 15, SEP], "span_groups": spans}
    with pytest.raises((ValueError, TypeError), match=message):
        make_collator(seed=0)([feature])


def test_numpy_integers_and_bools_in_list_rows_read_as_their_values():
    rows = [[5, np.int64(6), np.int32(7), True], [8, 9, 10, 11]]
    batch = make_collator(seed=0, mlm_probability=0.0, max_predictions=1)(rows)
    original = torch.where(batch["labels"] == IGNORE_INDEX, batch["input_ids"], batch["labels"])
    assert original.tolist() == [[5, 6, 7, 1], [8, 9, 10, 11]]


def test_electra_draws_with_replacement_leaving_about_13_8_percent_distinct_positions():
    # google-research/electra draws max(1, round(0.15 n)) = 19 positions of 128 with replacement
    # (tf.random.categorical): duplicates leave 128 * (1 - (1 - 1/128) ** 19) / 128 = 13.8% distinct.
    rows = [[CLS, *range(10, 136), SEP] for _ in range(400)]  # 128 tokens, 126 candidates
    tokenizer = FakeTokenizer()
    electra = MaskedLMCollator.electra(tokenizer, vocab_size=300, seed=0)
    bert = MaskedLMCollator.from_tokenizer(tokenizer, vocab_size=300, seed=0)
    distinct = (electra(rows)["labels"] != IGNORE_INDEX).sum(1).float()
    expected = 126 * (1 - (1 - 1 / 126) ** 19)  # 17.7 distinct of 19 draws over 126 candidates
    assert abs(distinct.mean().item() - expected) < 0.15
    assert (distinct <= 19).all() and (distinct < 19).any()
    assert ((bert(rows)["labels"] != IGNORE_INDEX).sum(1) == 19).all()  # BERT: without replacement
    selected = electra(rows)["labels"] != IGNORE_INDEX
    assert not selected[:, 0].any() and not selected[:, -1].any()  # [CLS], [SEP] never drawn
    masked = electra(rows)
    chosen = masked["labels"] != IGNORE_INDEX
    kept = (masked["input_ids"][chosen] == masked["labels"][chosen]).float().mean().item()
    assert (
        abs(kept - 0.15) < 0.02
        and (
            (masked["input_ids"][chosen] == MASK) | (masked["input_ids"][chosen] == masked["labels"][chosen])
        ).all()
    )


def test_draws_with_replacement_do_not_combine_with_whole_word_masking():
    with pytest.raises(ValueError, match="sample_with_replacement"):
        make_collator(sample_with_replacement=True, whole_word_mask=True)


def test_a_zero_rate_masks_nothing_and_a_tiny_positive_rate_one_token_a_row():
    rows = [[CLS, *range(10, 20), SEP] for _ in range(5)]
    assert (make_collator(mlm_probability=0.0, seed=0)(rows)["labels"] == IGNORE_INDEX).all()
    once = make_collator(mlm_probability=0.001, seed=0)(rows)["labels"] != IGNORE_INDEX
    assert (once.sum(1) == 1).all()  # BERT's max(1, round(0.012))
