"""The main job end to end, at smoke size: pretrain -> loadable directory -> finetune -> accuracy."""

from __future__ import annotations

import csv
import json
import math
import re

import pytest
import torch
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
from tests.logs import messages_logged_by


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
    for role in ("bos", "eos", "pad"):  # the tokenizer's special tokens are the ones the config names
        config_id = getattr(loaded.config, f"{role}_token_id", None)
        if config_id is not None:
            assert getattr(tokenizer, f"{role}_token_id") == config_id, role
    if model in ("bart", "mass", "t5"):  # the tokenizer's output goes straight into generate
        generated = loaded.eval().generate(
            **tokenizer(["Call me Ishmael."], return_tensors="pt"), max_new_tokens=3
        )
        assert generated.shape[0] == 1
    if model == "electra":  # the discriminator is written alone, ready for fine-tuning
        classifier = AutoModelForSequenceClassification.from_pretrained(
            output / "discriminator", num_labels=2
        )
        assert isinstance(classifier, hf_ssl.ElectraForSequenceClassification)
        assert len(AutoTokenizer.from_pretrained(output / "discriminator")) == classifier.config.vocab_size


def test_pretraining_dropout_is_a_recipe_setting_written_into_the_config(corpus_file, tmp_path, capsys):
    def pretrained_config(model: str, dropout: float | None) -> dict:
        output = tmp_path / f"{model}-{dropout}"
        settings = dict(corpus=str(corpus_file), vocab_size=300, seq_len=32, batch_size=4, steps=1)
        pretrain(PretrainSettings(model=model, output=str(output), dropout=dropout, **settings))
        return json.loads((output / "config.json").read_text())

    assert PretrainSettings().dropout == 0.0
    bert = pretrained_config("bert", 0.0)
    assert bert["hidden_dropout_prob"] == bert["attention_probs_dropout_prob"] == 0.0
    assert bert["classifier_dropout"] is None  # a fine-tuning head's dropout is not pretraining's
    assert pretrained_config("bert", None)["hidden_dropout_prob"] == 0.1  # the family's own
    gpt = pretrained_config("gpt", 0.2)
    assert gpt["embedding_dropout_prob"] == gpt["hidden_dropout_prob"] == 0.2
    with pytest.raises(ValueError, match=r"dropout=1\.5; expected a probability in \[0, 1\)"):
        # Refused before any work: the corpus is never read, the output never made.
        pretrain(
            PretrainSettings(corpus=str(tmp_path / "absent.txt"), output=str(tmp_path / "bad"), dropout=1.5)
        )
    assert not (tmp_path / "bad").exists()
    with pytest.raises(SystemExit):
        main(["pretrain", "--dropout", "lots", "--output", str(tmp_path / "bad")])
    assert "'lots' is not a probability; expected a number in [0, 1), or 'family'" in capsys.readouterr().err


def test_pretraining_reports_held_out_mlm_loss_apart_from_nsp_and_no_length_warning(tmp_path):

    long_sentence = " ".join(["the whale swam on and on"] * 20) + "."  # far longer than seq_len
    documents = [[long_sentence, "Call me Ishmael.", "Some years ago I went to sea."]] * 30
    settings = PretrainSettings(
        output=str(tmp_path / "bert"), vocab_size=200, seq_len=32, batch_size=4, steps=2
    )
    with messages_logged_by("transformers.tokenization_utils_base") as messages:
        metrics = pretrain(settings, documents=documents)
    assert not [m for m in messages if "sequence length is longer" in m]
    # Two steps from random weights: the MLM loss is near log(V), apart from (and below) MLM + NSP.
    vocab_size = json.loads((tmp_path / "bert" / "config.json").read_text())["vocab_size"]
    assert abs(metrics["eval_mlm_loss"] - math.log(vocab_size)) < 1.0
    assert metrics["eval_mlm_loss"] < metrics["eval_loss"]


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
    # The seed fixes the whole run, the new head's initialisation included: a second run repeats it.
    torch.manual_seed(12345)  # whatever state the process is in
    again = finetune(
        FinetuneSettings(
            model_dir=str(tmp_path / "bert"),
            train_file=str(train_file),
            eval_file=str(eval_file),
            output=str(tmp_path / "clf-again"),
            epochs=1,
        )
    )
    assert again["eval_loss"] == metrics["eval_loss"]
    repeated = hf_ssl.BertForSequenceClassification.from_pretrained(tmp_path / "clf-again")
    assert torch.equal(repeated.classifier.weight, classifier.classifier.weight)


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
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "hf_ssl_bert"}))  # a model directory
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


def test_without_examples_removes_exactly_the_sentences_that_give_the_held_out_rows():
    from hf_ssl.data.tasks import without_examples

    documents = [
        ["Call me Ishmael.", "Is it not so, my friend?", "It was Moby Dick!"],
        ["It was Moby Dick, the white whale.", "Is it not so, my friend."],
    ]
    held_out = [{"text": "Is it not so, my friend", "label": "question"}, {"text": "It was Moby Dick"}]
    assert without_examples(documents, held_out) == [
        ["Call me Ishmael."],
        ["It was Moby Dick, the white whale."],
    ]


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
            "--json",
            str(tmp_path / "results" / "metrics.json"),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    metrics = json.loads(printed[printed.index("{\n") :])
    assert metrics["model"] == "bert"
    # --json FILE: the same results, alone in their file, apart from the progress printed on the way.
    assert json.loads((tmp_path / "results" / "metrics.json").read_text()) == json.loads(json.dumps(metrics))


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
    from huggingface_hub import ModelCard

    card = ModelCard.load(tmp_path / "nli" / "README.md")  # the classifier's card, not the family's
    assert card.data.pipeline_tag == "text-classification" and card.data.base_model == str(tmp_path / "m")
    (accuracy,) = [r for r in card.data.eval_results if r.metric_type == "accuracy"]
    assert accuracy.metric_value == metrics["accuracy"] and "labels: `no`, `yes`" in card.text


def test_cli_demo_runs_the_main_job_end_to_end(tmp_path, capsys, monkeypatch):
    import hf_ssl.recipes.demo_run as demo_run

    pretraining_text: list = []
    real_pretrain = demo_run.pretrain

    def recording_pretrain(settings, *, documents=None):
        pretraining_text.extend(s for d in documents for s in d)
        return real_pretrain(settings, documents=documents)

    monkeypatch.setattr(demo_run, "pretrain", recording_pretrain)
    output = tmp_path / "bert-tiny"
    argv = ["demo", "--output", str(output), "--steps", "2", "--batch-size", "8", "--vocab-size", "500"]
    with messages_logged_by("hf_ssl.conversion") as conversion_messages:
        assert main([*argv, "--epochs", "0.2"]) == 0
    console = capsys.readouterr()
    printed = console.out
    # Six fine-tunings, two starting points: each head swap is said once, and the fine-tuning runs
    # print no Trainer bars or metric dicts above the table.
    assert len([m for m in conversion_messages if "head swap" in m]) == 2
    assert "eval_accuracy" not in console.out + console.err
    runs = tmp_path / "bert-tiny-mood"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bert-tiny", "bert-tiny-mood"]
    results = json.loads((runs / "results.json").read_text())
    assert set(results) == {"pretraining", "pretrained", "from_scratch", "summary"}
    summary = results["summary"]
    assert summary["seeds"] == [0, 1, 2]
    for arm in ("pretrained", "from_scratch"):
        accuracies = [run["accuracy"] for run in results[arm]]
        assert summary[arm]["values"] == accuracies and all(0.0 <= a <= 1.0 for a in accuracies)
        for seed in (0, 1, 2):
            classifier = json.loads((runs / f"{arm}-seed{seed}" / "metrics.json").read_text())
            assert classifier["accuracy"] == accuracies[seed]
    assert summary["difference"]["values"] == [
        a - b for a, b in zip(summary["pretrained"]["values"], summary["from_scratch"]["values"], strict=True)
    ]
    # The printed table is the summary's, and the figure is a PNG beside the model.
    mean = summary["pretrained"]["mean"]
    assert "| pretrained | " in printed and f"{mean:.3f} ± " in printed and "unigram entropy" in printed
    assert (runs / "finetuning_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The dev sentences (with their final marks, the labels) are not pretraining text; the others are.
    with (runs / "task" / "dev.csv").open(newline="", encoding="utf-8") as handle:
        dev = {row["text"] for row in csv.DictReader(handle)}
    with (runs / "task" / "train.csv").open(newline="", encoding="utf-8") as handle:
        train = {row["text"] for row in csv.DictReader(handle)}

    def ends_with_one_of(sentence: str, texts: set[str]) -> bool:  # the text, then only marks or quotes
        return any(
            t in sentence and not re.sub(r"[\s\"'’”“‘)\].?!]", "", sentence.split(t, 1)[1]) for t in texts
        )

    assert not [s for s in pretraining_text if ends_with_one_of(s, dev)]
    assert sum(ends_with_one_of(s, train) for s in pretraining_text[:2000]) > 100
