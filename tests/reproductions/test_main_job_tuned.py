"""benchmarks.main_job_tuned at smoke size: each start keeps the recipe its selection split prefers,
and the reported difference is between the test accuracies of the chosen recipes, seed by seed."""

from __future__ import annotations

import statistics

from benchmarks import main_job_tuned
from hf_ssl.data import load_default_corpus
from hf_ssl.data.tasks import sentence_mood_examples
from hf_ssl.recipes import PretrainSettings, pretrain
from hf_ssl.recipes.demo_run import RUNS, save_untrained_twin


def test_each_start_keeps_its_best_selection_recipe_and_is_scored_on_test(
    tmp_path, monkeypatch, corpus_sentences
):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n\n".join(corpus_sentences))  # blank lines: one document a sentence
    pretrained = tmp_path / "bert"
    pretrain(
        PretrainSettings(
            corpus=str(corpus), output=str(pretrained), vocab_size=300, seq_len=32, batch_size=8, steps=2
        )
    )
    twin = tmp_path / "twin"
    save_untrained_twin(str(pretrained), str(twin))
    rows = sentence_mood_examples(load_default_corpus(), seed=0)[:90]
    splits = {"train": rows[:30], "selection": rows[30:60], "test": rows[60:]}
    monkeypatch.setattr(main_job_tuned, "GRID", [(1e-3, 1.0), (1e-4, 1.0)])
    result = main_job_tuned.grid_search(
        dict(zip(RUNS, (str(pretrained), str(twin)), strict=True)), splits, tmp_path / "work", seeds=[0, 1]
    )
    assert result["sentences"] == {"train": 30, "selection": 30, "test": 30}
    for start in RUNS:
        recipes = result["grid"][start]
        best = max(recipes, key=lambda recipe: statistics.fmean(recipe["selection"]))
        assert result["chosen"][start] == {"learning_rate": best["learning_rate"], "epochs": best["epochs"]}
        assert result[start] == best["test"] and len(best["test"]) == 2
    differences = [a - b for a, b in zip(result[RUNS[0]], result[RUNS[1]], strict=True)]
    assert result["difference"]["values"] == differences


def test_the_recipe_is_chosen_on_selection_accuracy_not_on_test(tmp_path, monkeypatch):
    # Selection prefers 1e-3 for the pretrained start and 1e-4 from scratch; test prefers the opposite.
    pre, scratch = RUNS
    selection = {(pre, 1e-3): 0.7, (pre, 1e-4): 0.5, (scratch, 1e-3): 0.4, (scratch, 1e-4): 0.6}
    test = {(pre, 1e-3): 0.55, (pre, 1e-4): 0.9, (scratch, 1e-3): 0.95, (scratch, 1e-4): 0.35}

    def fake_finetune(settings):
        return {"accuracy": selection[(settings.model_dir, settings.learning_rate)] + settings.seed / 100}

    def fake_evaluate(output, test_file, max_length):
        start, rate = output.split("/")[-1].split("-lr")
        return {"accuracy": test[(start, float(rate.split("-")[0]))] + int(output[-1]) / 100}

    monkeypatch.setattr(main_job_tuned, "finetune", fake_finetune)
    monkeypatch.setattr(main_job_tuned, "evaluate_classifier", fake_evaluate)
    monkeypatch.setattr(main_job_tuned, "GRID", [(1e-3, 4.0), (1e-4, 4.0)])
    rows = [{"text": "call me ishmael", "label": "statement"}]
    starts = {pre: pre, scratch: scratch}  # each start's directory named as the start
    result = main_job_tuned.grid_search(
        starts, dict.fromkeys(("train", "selection", "test"), rows), tmp_path, [0, 1]
    )
    assert result["chosen"] == {
        RUNS[0]: {"learning_rate": 1e-3, "epochs": 4.0},
        RUNS[1]: {"learning_rate": 1e-4, "epochs": 4.0},
    }
    assert result[RUNS[0]] == [0.55, 0.56] and result[RUNS[1]] == [0.35, 0.36]
    assert abs(result["difference"]["mean"] - 0.2) < 1e-9
