"""The main job end to end, at smoke size: pretrain -> loadable directory -> finetune -> accuracy."""

from __future__ import annotations

import json

import pytest
from transformers import AutoModelForMaskedLM, AutoModelForPreTraining, AutoTokenizer

import hf_ssl
from hf_ssl.cli import main
from hf_ssl.data.tasks import sentence_mood_examples, write_task_files
from hf_ssl.io import atomic_directory
from hf_ssl.recipes import FinetuneSettings, PretrainSettings, finetune, pretrain


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory):
    """A small corpus in BERT's format: one sentence per line, blank lines between documents."""
    from hf_ssl.data import load_default_corpus

    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    path.write_text("\n\n".join("\n".join(doc) for doc in load_default_corpus()[:120]))
    return path


@pytest.mark.parametrize("model", ["bert", "roberta"])
def test_pretrain_writes_a_directory_the_auto_classes_load(model, corpus_file, tmp_path):
    output = tmp_path / model
    metrics = pretrain(
        PretrainSettings(
            model=model,
            corpus=str(corpus_file),
            output=str(output),
            vocab_size=300,
            seq_len=32,
            batch_size=8,
            steps=4,
        )
    )
    assert {"config.json", "model.safetensors", "tokenizer.json", "metrics.json"} <= {
        p.name for p in output.iterdir()
    }
    assert metrics["eval_loss"] > 0 and metrics["train_examples"] > 0
    loaded = (AutoModelForPreTraining if model == "bert" else AutoModelForMaskedLM).from_pretrained(output)
    assert type(loaded).__module__.startswith("hf_ssl.models")
    tokenizer = AutoTokenizer.from_pretrained(output)
    assert len(tokenizer) == loaded.config.vocab_size


def test_finetune_reports_accuracy_and_writes_a_classifier(corpus_file, tmp_path):
    from hf_ssl.data import load_default_corpus

    pretrain(
        PretrainSettings(
            corpus=str(corpus_file),
            output=str(tmp_path / "bert"),
            vocab_size=300,
            seq_len=32,
            batch_size=8,
            steps=2,
        )
    )
    rows = sentence_mood_examples(load_default_corpus())[:90]
    train_file, eval_file = write_task_files(rows, tmp_path / "task")
    metrics = finetune(
        FinetuneSettings(
            model_dir=str(tmp_path / "bert"),
            train_file=str(train_file),
            eval_file=str(eval_file),
            output=str(tmp_path / "clf"),
            epochs=1,
        )
    )
    assert 0.0 <= metrics["accuracy"] <= 1.0
    assert metrics["labels"] == ["exclamation", "question", "statement"]
    classifier = hf_ssl.BertForSequenceClassification.from_pretrained(tmp_path / "clf")
    assert classifier.config.id2label[1] == "question"


def test_finetune_names_a_missing_column(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("sentence,label\nhello there,a\n")
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['text'\]"):
        finetune(
            FinetuneSettings(
                model_dir=str(tmp_path), train_file=str(bad), eval_file=str(bad), output=str(tmp_path / "out")
            )
        )


def test_sentence_mood_task_is_balanced_and_strips_the_label_from_the_text():
    from hf_ssl.data import load_default_corpus

    rows = sentence_mood_examples(load_default_corpus())
    counts = {
        label: sum(r["label"] == label for r in rows) for label in ("statement", "question", "exclamation")
    }
    assert len(set(counts.values())) == 1 and counts["question"] > 300
    assert not any(
        r["text"].rstrip("\"' ").endswith(("?", "!", ".")) for r in rows if r["label"] != "statement"
    )


def test_atomic_directory_keeps_the_previous_version_when_writing_fails(tmp_path):
    target = tmp_path / "model"
    with atomic_directory(target) as staging:
        (staging / "weights").write_text("v1")
    with pytest.raises(RuntimeError), atomic_directory(target) as staging:
        (staging / "weights").write_text("half")
        raise RuntimeError("interrupted")
    assert (target / "weights").read_text() == "v1"
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_cli_pretrain_prints_metrics_as_json(corpus_file, tmp_path, capsys):
    code = main(
        [
            "pretrain",
            "--corpus",
            str(corpus_file),
            "--output",
            str(tmp_path / "m"),
            "--steps",
            "2",
            "--batch-size",
            "4",
            "--seq-len",
            "32",
            "--vocab-size",
            "300",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    metrics = json.loads(printed[printed.index("{\n") :])
    assert metrics["model"] == "bert"
