"""The main job end to end, at smoke size: pretrain -> loadable directory -> finetune -> accuracy."""

from __future__ import annotations

import json

import pytest
from transformers import (
    AutoModelForMaskedLM,
    AutoModelForPreTraining,
    AutoModelForSequenceClassification,
    AutoTokenizer,
)

import hf_ssl
from hf_ssl.cli import main
from hf_ssl.data.tasks import sentence_mood_examples, write_task_files
from hf_ssl.io import atomic_directory
from hf_ssl.recipes import FinetuneSettings, PretrainSettings, evaluate_classifier, finetune, pretrain


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory):
    """A small corpus in BERT's format: one sentence per line, blank lines between documents."""
    from hf_ssl.data import load_default_corpus

    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    path.write_text("\n\n".join("\n".join(doc) for doc in load_default_corpus()[:120]))
    return path


@pytest.mark.parametrize(
    "model", ["bert", "roberta", "albert", "electra", "gpt", "bart", "mass", "t5", "prefix-lm"]
)
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
    assert {"config.json", "model.safetensors", "tokenizer.json", "metrics.json", "loss_curve.png"} <= {
        p.name for p in output.iterdir()
    }
    assert metrics["eval_loss"] > 0 and metrics["train_examples"] > 0
    loaded = (AutoModelForMaskedLM if model == "roberta" else AutoModelForPreTraining).from_pretrained(output)
    assert type(loaded).__module__.startswith("hf_ssl.models")
    tokenizer = AutoTokenizer.from_pretrained(output)
    assert len(tokenizer) == loaded.config.vocab_size
    if model == "electra":  # the discriminator is written alone, ready for fine-tuning
        classifier = AutoModelForSequenceClassification.from_pretrained(
            output / "discriminator", num_labels=2
        )
        assert isinstance(classifier, hf_ssl.ElectraForSequenceClassification)
        assert len(AutoTokenizer.from_pretrained(output / "discriminator")) == classifier.config.vocab_size


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
    # `hf-ssl evaluate` scores the written classifier on the same file: the same accuracy.
    evaluation = evaluate_classifier(str(tmp_path / "clf"), str(eval_file))
    assert evaluation["accuracy"] == pytest.approx(metrics["accuracy"])
    assert evaluation["examples"] == metrics["eval_examples"] and 0.0 <= evaluation["f1_macro"] <= 1.0
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['sentence'\]"):
        evaluate_classifier(str(tmp_path / "clf"), str(eval_file), text_column="sentence")


@pytest.mark.parametrize("pair", [False, True])
def test_gpt_fine_tunes_with_task_tokens_and_the_auxiliary_loss(corpus_file, tmp_path, pair):
    pretrain(
        PretrainSettings(
            model="gpt",
            corpus=str(corpus_file),
            output=str(tmp_path / "gpt"),
            vocab_size=400,
            seq_len=32,
            batch_size=8,
            steps=2,
        )
    )
    rows = [
        {"text": f"the whale {i} swam", "other": "it swam" if i % 2 else "it flew", "label": i % 2}
        for i in range(24)
    ]
    data = tmp_path / "rows.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows))
    metrics = finetune(
        FinetuneSettings(
            model_dir=str(tmp_path / "gpt"),
            train_file=str(data),
            eval_file=str(data),
            output=str(tmp_path / "clf"),
            epochs=1,
            text_pair_column="other" if pair else None,
        )
    )
    assert 0.0 <= metrics["accuracy"] <= 1.0
    classifier = hf_ssl.GPTForSequenceClassification.from_pretrained(tmp_path / "clf")
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "clf")
    assert "_classify_" in tokenizer.get_vocab() and classifier.config.vocab_size == len(tokenizer)


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
    with pytest.raises(RuntimeError), atomic_directory(target, overwrite=True) as staging:
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


def _printed_json(capsys) -> dict:
    printed = capsys.readouterr().out
    return json.loads(printed[printed.rindex("\n{\n") + 1 :] if "\n{\n" in printed else printed)


def test_cli_finetune_uses_the_files_and_columns_it_is_given(corpus_file, tmp_path, capsys):
    main(
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
    capsys.readouterr()
    pairs = tmp_path / "pairs.jsonl"
    rows = [
        {
            "premise": f"the whale number {i} swam",
            "hypothesis": "it swam" if i % 2 else "it flew",
            "gold": "yes" if i % 2 else "no",
        }
        for i in range(24)
    ]
    pairs.write_text("\n".join(json.dumps(r) for r in rows))
    code = main(
        [
            "finetune",
            "--model-dir",
            str(tmp_path / "m"),
            "--train-file",
            str(pairs),
            "--eval-file",
            str(pairs),
            "--output",
            str(tmp_path / "nli"),
            "--text-column",
            "premise",
            "--text-pair-column",
            "hypothesis",
            "--label-column",
            "gold",
            "--epochs",
            "1",
            "--seed",
            "3",
        ]
    )
    assert code == 0
    metrics = _printed_json(capsys)
    assert metrics["labels"] == ["no", "yes"] and metrics["eval_examples"] == 24
    assert json.loads((tmp_path / "nli" / "metrics.json").read_text())["accuracy"] == metrics["accuracy"]


def test_cli_demo_runs_the_main_job_end_to_end(tmp_path, capsys):
    output = tmp_path / "bert-tiny"
    code = main(
        [
            "demo",
            "--output",
            str(output),
            "--steps",
            "2",
            "--batch-size",
            "8",
            "--vocab-size",
            "500",
            "--epochs",
            "1",
        ]
    )
    assert code == 0
    results = _printed_json(capsys)
    assert set(results) == {"pretraining", "pretrained", "from_scratch"}
    for arm in ("pretrained", "from_scratch"):
        assert 0.0 <= results[arm]["accuracy"] <= 1.0
        assert (tmp_path / f"bert-tiny-mood-{arm}" / "model.safetensors").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "bert-tiny",
        "bert-tiny-mood-from_scratch",
        "bert-tiny-mood-pretrained",
        "bert-tiny-mood-task",
    ]
