"""Tests of NSP/SOP pair construction (BERT create_instances_from_document, ALBERT SOP) and its collator.

Token ids carry their provenance: document d's tokens are numbered consecutively from
``BASE + d * STRIDE`` across its sentences, so a test can tell a token's document and position.
"""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hf_ssl.constants import IGNORE_INDEX
from hf_ssl.objectives import MaskedLMCollator, SentencePairCollator, build_sentence_pair_examples
from hf_ssl.objectives.sentence_pairs import _Rng, _truncate_seq_pair
from tests.logs import messages_logged_by

PAD, CLS, SEP, MASK = 0, 1, 2, 3
BASE, STRIDE = 10, 100_000
LABEL_KEY = {"nsp": "next_sentence_label", "sop": "sentence_order_label"}


def make_corpus(sentence_lengths):
    """Documents of consecutively numbered tokens, ``sentence_lengths[d][s]`` tokens per sentence."""
    corpus = []
    for d, lengths in enumerate(sentence_lengths):
        start, document = BASE + d * STRIDE, []
        for length in lengths:
            document.append(list(range(start, start + length)))
            start += length
        corpus.append(document)
    return corpus


def provenance(tokens):
    """(document, positions) of a run of tokens, asserting they all come from one document."""
    documents = {(token - BASE) // STRIDE for token in tokens}
    assert len(documents) == 1, f"tokens {tokens} mix documents {documents}"
    return documents.pop(), [(token - BASE) % STRIDE for token in tokens]


def split_pair(example, max_length):
    """Check the [CLS] A [SEP] B [SEP] layout and return (A, B)."""
    ids = example["input_ids"]
    assert len(ids) <= max_length
    assert ids[0] == CLS and ids[-1] == SEP and ids.count(SEP) == 2 and ids.count(CLS) == 1
    first_sep = ids.index(SEP)
    tokens_a, tokens_b = ids[1:first_sep], ids[first_sep + 1 : -1]
    assert tokens_a and tokens_b
    assert example["token_type_ids"] == [0] * (len(tokens_a) + 2) + [1] * (len(tokens_b) + 1)
    assert example["special_tokens_mask"] == [1] + [0] * len(tokens_a) + [1] + [0] * len(tokens_b) + [1]
    return tokens_a, tokens_b


def assert_contiguous(positions):
    assert positions == list(range(positions[0], positions[0] + len(positions))), positions


def build(corpus, task, max_length, **kwargs):
    kwargs.setdefault("seed", 0)
    return build_sentence_pair_examples(
        corpus, task=task, max_length=max_length, cls_token_id=CLS, sep_token_id=SEP, **kwargs
    )


@settings(max_examples=50, deadline=None)
@given(
    sentence_lengths=st.lists(st.lists(st.integers(0, 15), max_size=8), min_size=1, max_size=6),
    task=st.sampled_from(["nsp", "sop"]),
    max_length=st.integers(5, 40),
    short_seq_prob=st.sampled_from([0.0, 0.1, 0.5]),
    seed=st.integers(0, 2**31),
)
def test_pairs_keep_layout_length_and_provenance(sentence_lengths, task, max_length, short_seq_prob, seed):
    corpus = make_corpus(sentence_lengths)
    non_empty = sum(any(lengths) for lengths in sentence_lengths)
    if non_empty == 0 or (task == "nsp" and non_empty < 2):
        with pytest.raises(ValueError, match=f"got {non_empty}|got {len(corpus)} documents"):
            build(corpus, task, max_length, short_seq_prob=short_seq_prob, seed=seed)
        return
    examples = build(corpus, task, max_length, short_seq_prob=short_seq_prob, seed=seed)
    if task == "nsp":
        assert examples
    for example in examples:
        assert set(example) == {"input_ids", "token_type_ids", "special_tokens_mask", LABEL_KEY[task]}
        tokens_a, tokens_b = split_pair(example, max_length)
        (doc_a, pos_a), (doc_b, pos_b) = provenance(tokens_a), provenance(tokens_b)
        assert_contiguous(pos_a)
        assert_contiguous(pos_b)
        label = example[LABEL_KEY[task]]
        if task == "nsp":
            assert (label == 1) == (doc_a != doc_b)
            if label == 0:
                assert pos_a[-1] < pos_b[0]
        else:
            assert doc_a == doc_b
            assert (pos_a[-1] < pos_b[0]) if label == 0 else (pos_b[-1] < pos_a[0])


def test_without_truncation_nsp_b_starts_at_the_sentence_after_a_and_unused_sentences_are_put_back():
    corpus = make_corpus([[4] * 30 for _ in range(6)])  # max_num_tokens 12 = three whole sentences
    examples = build(corpus, "nsp", 15, short_seq_prob=0.0)
    covered = {d: set() for d in range(6)}
    labels = []
    for example in examples:
        tokens_a, tokens_b = split_pair(example, 15)
        (doc_a, pos_a), (doc_b, pos_b) = provenance(tokens_a), provenance(tokens_b)
        assert pos_a[0] % 4 == 0 and len(pos_a) % 4 == 0 and pos_b[0] % 4 == 0  # whole sentences
        labels.append(example["next_sentence_label"])
        covered[doc_a].update(pos_a)
        if example["next_sentence_label"] == 0:
            assert pos_b[0] == pos_a[-1] + 1
            covered[doc_b].update(pos_b)
    assert set(labels) == {0, 1}
    # BERT's "put back" (:290-293): sentences left out by a random B open the next chunk.
    assert all(covered[d] == set(range(120)) for d in range(6))


def test_without_truncation_sop_pairs_are_consecutive_text_in_or_out_of_order():
    corpus = make_corpus([[4] * 30 for _ in range(3)])
    examples = build(corpus, "sop", 15, short_seq_prob=0.0)
    for example in examples:
        tokens_a, tokens_b = split_pair(example, 15)
        (_, pos_a), (_, pos_b) = provenance(tokens_a), provenance(tokens_b)
        first, second = (pos_a, pos_b) if example["sentence_order_label"] == 0 else (pos_b, pos_a)
        assert_contiguous(first + second)
        assert first[0] % 4 == 0 and second[0] % 4 == 0


@pytest.mark.parametrize("task", ["nsp", "sop"])
def test_pair_labels_are_balanced(task):
    corpus = make_corpus([[4] * 150 for _ in range(30)])
    labels = [example[LABEL_KEY[task]] for example in build(corpus, task, 15, short_seq_prob=0.0)]
    assert len(labels) >= 1500
    assert abs(sum(labels) / len(labels) - 0.5) < 0.03


def test_a_one_sentence_chunk_always_gets_a_random_b_in_nsp():
    # Every sentence exceeds max_num_tokens = 7, so every chunk holds a single sentence.
    corpus = make_corpus([[20] * 5, [20] * 5, [1]])
    examples = build(corpus, "nsp", 10)
    assert len(examples) == 11 and all(example["next_sentence_label"] == 1 for example in examples)


def test_sop_splits_a_one_sentence_chunk_into_halves_and_skips_a_one_token_one():
    examples = build(make_corpus([[10]]), "sop", 64)
    tokens_a, tokens_b = split_pair(examples[0], 64)
    first, second = (tokens_a, tokens_b) if examples[0]["sentence_order_label"] == 0 else (tokens_b, tokens_a)
    assert first == list(range(BASE, BASE + 5)) and second == list(range(BASE + 5, BASE + 10))
    with messages_logged_by("hf_ssl.objectives.sentence_pairs") as messages:
        assert build(make_corpus([[1]]), "sop", 64) == []
    assert any("no sop example" in message for message in messages)


def test_truncation_removes_the_same_tokens_per_side_as_bert():
    rng = _Rng(torch.Generator().manual_seed(0))
    for len_a in range(1, 12):
        for len_b in range(1, 12):
            for max_num_tokens in range(2, 20):
                bert_a, bert_b = len_a, len_b  # BERT pops from the longer side, B on ties (:418-433)
                while bert_a + bert_b > max_num_tokens:
                    if bert_a > bert_b:
                        bert_a -= 1
                    else:
                        bert_b -= 1
                tokens_a, tokens_b = list(range(len_a)), list(range(100, 100 + len_b))
                _truncate_seq_pair(tokens_a, tokens_b, max_num_tokens, rng)
                assert (len(tokens_a), len(tokens_b)) == (bert_a, bert_b)
                assert_contiguous(tokens_a)
                assert_contiguous([token - 100 for token in tokens_b])


def test_truncation_trims_front_and_back_evenly():
    rng = _Rng(torch.Generator().manual_seed(0))
    fronts = []
    for _ in range(500):
        tokens_a, tokens_b = list(range(20)), [100]
        _truncate_seq_pair(tokens_a, tokens_b, 11, rng)
        fronts.append(tokens_a[0])
    assert abs(sum(fronts) / len(fronts) - 5) < 0.3  # ten pops, each from the front with p = 1/2


def test_same_seed_or_generator_gives_the_same_examples():
    corpus = make_corpus([[3, 5, 7, 2, 9] * 4 for _ in range(5)])
    assert build(corpus, "nsp", 20, seed=5) == build(corpus, "nsp", 20, seed=5)
    assert build(corpus, "nsp", 20, seed=5) != build(corpus, "nsp", 20, seed=6)
    assert build(corpus, "sop", 20, seed=None, generator=torch.Generator().manual_seed(5)) == build(
        corpus, "sop", 20, seed=5
    )


@pytest.mark.parametrize(
    ("corpus", "kwargs", "message"),
    [
        ([[[5, 6]], [[7]]], {"max_length": 4}, "max_length must be an int >= 5.*got 4"),
        ([], {}, r"no non-empty document \(got 0 documents\)"),
        ([[], [[]]], {}, r"got 2 documents"),
        ([[[5, 6], [7]]], {}, ">= 2 non-empty documents, got 1"),
        ([[[5]], [[6]]], {"task": "mlm"}, "task must be one of .*'mlm'"),
        ([[[5]], [[6]]], {"short_seq_prob": 1.5}, "short_seq_prob .*1.5"),
        ([[[5]], [[6]]], {"cls_token_id": -1}, "cls_token_id .*-1"),
        ([[[5]], [[6]]], {"generator": torch.Generator()}, "seed or generator"),
    ],
)
def test_invalid_arguments_raise_with_the_value(corpus, kwargs, message):
    arguments = {
        "task": "nsp",
        "max_length": 16,
        "cls_token_id": CLS,
        "sep_token_id": SEP,
        "seed": 0,
        **kwargs,
    }
    with pytest.raises(ValueError, match=message):
        build_sentence_pair_examples(corpus, **arguments)


@pytest.mark.parametrize("task", ["nsp", "sop"])
def test_collator_batches_mlm_labels_types_and_the_pair_label(task):
    corpus = [[[5 + (s * 7 + d) % 90 for _ in range(3 + s % 4)] for s in range(12)] for d in range(4)]
    examples = build(corpus, task, 24)[:8]
    # No special_token_ids at all: the examples' special_tokens_mask alone protects [CLS]/[SEP].
    mlm = MaskedLMCollator(vocab_size=100, mask_token_id=MASK, pad_token_id=PAD, mlm_probability=1.0, seed=0)
    batch = SentencePairCollator(mlm)(examples)
    length = max(len(example["input_ids"]) for example in examples)
    assert set(batch) == {"input_ids", "attention_mask", "token_type_ids", "labels", LABEL_KEY[task]}
    for key in ("input_ids", "attention_mask", "token_type_ids", "labels"):
        assert batch[key].shape == (8, length)
    assert batch[LABEL_KEY[task]].tolist() == [example[LABEL_KEY[task]] for example in examples]
    for i, example in enumerate(examples):
        n = len(example["input_ids"])
        assert batch["token_type_ids"][i, :n].tolist() == example["token_type_ids"]
        labels = batch["labels"][i, :n]
        is_special = torch.tensor(example["special_tokens_mask"], dtype=torch.bool)
        assert (labels[is_special] == IGNORE_INDEX).all()
        assert (labels[~is_special] != IGNORE_INDEX).all()  # mlm_probability=1.0 selects the rest
        assert batch["input_ids"][i, :n][is_special].tolist() == [CLS, SEP, SEP]


def test_collator_requires_a_pair_label_and_builds_from_a_tokenizer():
    class FakeTokenizer:
        name_or_path, mask_token_id, pad_token_id, all_special_ids = "fake", MASK, PAD, [PAD, CLS, SEP, MASK]

        def __len__(self):
            return 50

    collator = SentencePairCollator.from_tokenizer(FakeTokenizer(), seed=0)
    assert collator.mlm.vocab_size == 50
    with pytest.raises(ValueError, match="exactly one of"):
        collator([{"input_ids": [CLS, 5, SEP, 6, SEP], "token_type_ids": [0, 0, 0, 1, 1]}])
    with pytest.raises(TypeError, match="MaskedLMCollator"):
        SentencePairCollator(mlm=None)


@pytest.mark.parametrize(
    ("documents", "message"),
    [
        ([["the cat sat", "on the mat"], ["a dog"]], r"documents\[0\]\[0\] is 'the cat sat'.*tokenize"),
        (["the cat sat. on the mat.", "a dog."], r"documents\[0\]\[0\] is 't'"),
        ([[[5, 6.5, 7]], [[8, 9]]], r"documents\[0\]\[0\]\[1\] is 6.5; expected integer token ids"),
    ],
)
def test_text_instead_of_token_ids_is_refused_naming_where(documents, message):
    with pytest.raises(TypeError, match=message):
        build_sentence_pair_examples(
            documents, task="nsp", max_length=32, cls_token_id=1, sep_token_id=2, seed=0
        )
