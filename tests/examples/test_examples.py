"""Every example script runs end to end at smoke size and writes a loadable model."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest
from transformers import (
    AutoModelForPreTraining,
    AutoModelForQuestionAnswering,
    AutoModelForSeq2SeqLM,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
)

import hf_ssl  # noqa: F401  (registers the Auto classes)

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.py"))
# Examples whose model is not a pretraining model, and the Auto class that loads it.
AUTO_CLASS_FOR = {
    "taglm_conll": AutoModelForTokenClassification,
    "finetune_sentiment": AutoModelForSequenceClassification,
    "finetune_pos_tagging": AutoModelForTokenClassification,
    "finetune_nli": AutoModelForSequenceClassification,
    "finetune_extractive_qa": AutoModelForQuestionAnswering,
    "finetune_summarization": AutoModelForSeq2SeqLM,
}
FIXTURES = Path(__file__).parents[1] / "data" / "fixtures"
# Extra arguments that keep a smoke run offline and small (the default data is downloaded once).
EXTRA_ARGS = {
    "finetune_pos_tagging": ["--data", str(FIXTURES / "tiny.conll"), "--tag-column", "1"],
    "finetune_nli": ["--pairs", "400"],
    "finetune_extractive_qa": ["--examples", "200"],
    "finetune_summarization": ["--paragraphs", "200", "--decode", "4", "--beams", "2"],
}


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_and_writes_a_model(script, tmp_path, monkeypatch):
    output = tmp_path / "model"
    monkeypatch.setattr(
        sys, "argv", [str(script), "--steps", "2", "--output", str(output), *EXTRA_ARGS.get(script.stem, [])]
    )
    runpy.run_path(str(script), run_name="__main__")
    model = AUTO_CLASS_FOR.get(script.stem, AutoModelForPreTraining).from_pretrained(output)
    assert type(model).__module__.startswith("hf_ssl.models")
