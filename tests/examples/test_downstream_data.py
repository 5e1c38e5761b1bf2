"""The data steps of the downstream examples: cloze QA offsets, token spans, pair and tag readers."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import numpy as np
import pytest

from hf_ssl.data import train_wordpiece_tokenizer

EXAMPLES = Path(__file__).parents[2] / "examples"


def example(name: str) -> dict:
    return runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name="example_under_test")


DOCUMENTS = [
    ["Captain Ahab met Starbuck on deck.", "Later Starbuck went below.", "The sea was calm."],
    ["Nothing here is capitalised after the start.", "nor here."],
    ["In 1851 the book appeared.", "It sold few copies before 1851 ended."],
]


def test_cloze_answers_are_found_at_their_character_offsets():
    rows = example("finetune_extractive_qa")["cloze_examples"](DOCUMENTS, limit=10)
    assert rows, "the documents hold recurring names and numbers"
    for row in rows:
        (answer,), (start,) = row["answers"]["text"], row["answers"]["answer_start"]
        assert row["context"][start : start + len(answer)] == answer
        # Filling the blank with the answer gives back a sentence of the paragraph.
        assert any(row["question"].replace("_____", answer) in doc for doc in DOCUMENTS)
    assert {row["answers"]["text"][0] for row in rows} >= {"Starbuck", "1851"}


def test_answer_token_span_covers_exactly_the_answer_and_points_at_cls_when_cut_off():
    qa = example("finetune_extractive_qa")
    context = "Later Starbuck went below with Queequeg and Flask."
    tokenizer = train_wordpiece_tokenizer([context, "who went below?"] * 3, vocab_size=200, min_frequency=1)
    encoding = tokenizer("who went below?", context, return_offsets_mapping=True)
    offsets, sequence = encoding["offset_mapping"], encoding.sequence_ids()
    start, end = qa["answer_token_span"](offsets, sequence, context.index("Queequeg"), "Queequeg")
    assert tokenizer.decode(encoding["input_ids"][start : end + 1]).replace(" ", "") == "queequeg"
    short = tokenizer(
        "who went below?", context, return_offsets_mapping=True, truncation="only_second", max_length=10
    )
    assert qa["answer_token_span"](
        short["offset_mapping"], short.sequence_ids(), context.index("Flask"), "Flask"
    ) == (
        0,
        0,
    )


def test_best_span_never_leaves_the_context_and_respects_the_length_limit():
    best_span = example("finetune_extractive_qa")["best_span"]
    context = "abc def"
    offsets = [None, None, (0, 3), (4, 7), None]  # [CLS] question [SEP]-like positions are None
    start = np.array([9.0, 9.0, 1.0, 2.0, 9.0])
    end = np.array([9.0, 9.0, 0.5, 1.0, 9.0])
    assert best_span(start, end, offsets, context) == "def"


def test_constructed_pairs_are_shortened_copies_successors_or_from_another_paragraph():
    rows = example("finetune_nli")["sentence_pairs"](DOCUMENTS, limit=100, seed=0)
    successors = {(doc[i], doc[i + 1]) for doc in DOCUMENTS for i in range(len(doc) - 1)}
    home = {sentence: n for n, doc in enumerate(DOCUMENTS) for sentence in doc}
    assert {row["label"] for row in rows} == {"shortened", "follows", "unrelated"}
    for row in rows:
        premise, hypothesis = row["premise"].split(), row["hypothesis"].split()
        if row["label"] == "shortened":
            assert len(hypothesis) < len(premise)
            # One contiguous run was removed: what is left is a prefix plus a suffix of A.
            assert any(
                hypothesis == premise[:k] + premise[len(premise) - len(hypothesis) + k :]
                for k in range(len(hypothesis) + 1)
            )
        elif row["label"] == "follows":
            assert (row["premise"], row["hypothesis"]) in successors
        else:
            assert home[row["premise"]] != home[row["hypothesis"]]


def test_snli_reader_drops_pairs_without_annotator_agreement(tmp_path):
    records = [
        {"sentence1": "A man sleeps.", "sentence2": "A man is awake.", "gold_label": "contradiction"},
        {"sentence1": "A dog runs.", "sentence2": "An animal moves.", "gold_label": "-"},
    ]
    path = tmp_path / "snli.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records))
    rows = example("finetune_nli")["read_snli"](str(path), limit=10)
    assert rows == [{"premise": "A man sleeps.", "hypothesis": "A man is awake.", "label": "contradiction"}]


def test_people_daily_reader_splits_word_tag_pairs_and_unbrackets_compounds(tmp_path):
    path = tmp_path / "199801.txt"
    path.write_text("迈向/v  充满/v  [中央/n  电台/n]nt  。/w\n\n同胞/n  们/k\n", encoding="utf-8")
    rows = example("finetune_pos_tagging")["read_slash_tagged"](path, limit=10)
    assert rows == [
        {"tokens": ["迈向", "充满", "中央", "电台", "。"], "tags": ["v", "v", "n", "n", "w"]},
        {"tokens": ["同胞", "们"], "tags": ["n", "k"]},
    ]


def test_sentiment_reader_rejects_an_empty_csv(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("text,label\n")
    with pytest.raises(ValueError, match="no rows"):
        example("finetune_sentiment")["read_rows"](str(path), seed=0)
