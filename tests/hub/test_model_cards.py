"""Model cards: rendered from the packaged templates, parsed back by huggingface_hub's own readers,
written by save_pretrained, pushed by push_to_hub (loopback Hub server) and by `hf-ssl pretrain`.

The Hub's parsers (`ModelCard.load`, `metadata_load`, `EvalResult` via `model_index_to_eval_results`)
are the reference: a card they cannot read back would be broken on the Hub too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import ModelCard, metadata_load
from transformers import AutoModel

import hf_ssl
from hf_ssl.hub.model_card import (
    DEFAULT_EVALUATION,
    available_templates,
    family_of,
    render_model_card,
)
from hf_ssl.recipes import PretrainSettings, pretrain
from tests.models.tiny import TINY_CONFIGS, make_model

RUN_METRICS = {"eval_loss": 4.25, "eval_perplexity_bound": 70.1}
TEMPLATE_DIR = Path(hf_ssl.__file__).parent / "model_cards"


def _saved_card(path: Path) -> ModelCard:
    return ModelCard.load(path / "README.md")


def test_every_registered_family_has_a_packaged_template_and_the_top_level_folder_links_to_it():
    families = {family_of(config_class) for config_class in hf_ssl.AUTO_CLASSES}
    assert families == set(available_templates())
    top_level = Path(__file__).resolve().parents[2] / "model_cards"
    assert top_level.is_symlink() and top_level.resolve() == TEMPLATE_DIR.resolve()


@pytest.mark.parametrize("family", sorted(TINY_CONFIGS))
def test_every_tiny_family_renders_a_card_whose_metadata_the_hub_parses(family, tmp_path):
    config = TINY_CONFIGS[family]
    card = render_model_card(config, model_name=f"tiny-{family}", metrics=RUN_METRICS, datasets="moby-dick")
    card.save(tmp_path / "README.md")
    loaded = ModelCard.load(tmp_path / "README.md")
    family_name = family_of(config)
    assert loaded.data.library_name == "transformers"
    assert loaded.data.license == "apache-2.0"
    assert {"hf_ssl", family_name} <= set(loaded.data.tags)
    assert loaded.data.datasets == ["moby-dick"]
    assert "{{" not in loaded.text and f"# tiny-{family}" in loaded.text
    results = {r.metric_type: r.metric_value for r in loaded.data.eval_results}
    assert results == {"loss": 4.25, "perplexity": 70.1}
    assert loaded.data.model_name == f"tiny-{family}"


def test_the_model_index_carries_task_dataset_split_and_metric_names(tmp_path):
    card = render_model_card(TINY_CONFIGS["t5"], metrics={"eval_loss": 1.5}, datasets=["c4", "wiki"])
    card.save(tmp_path / "README.md")
    (index,) = metadata_load(tmp_path / "README.md")["model-index"]
    (result,) = index["results"]
    assert index["name"] == "hf_ssl-t5"  # no checkpoint name: the family's default
    assert result["task"] == {"type": "feature-extraction", "name": "Span corruption"}
    assert result["dataset"] == {"name": "c4", "type": "c4", "split": "held-out"}
    assert result["metrics"] == [
        {"type": "loss", "value": 1.5, "name": "Held-out loss (nats per predicted token)"}
    ]


def test_without_metrics_the_card_has_no_model_index_and_says_nothing_was_evaluated(tmp_path):
    card = render_model_card(TINY_CONFIGS["bert"], base_model="org/bert-base", training_data="Moby-Dick.")
    card.save(tmp_path / "README.md")
    metadata = metadata_load(tmp_path / "README.md")
    assert "model-index" not in metadata and metadata["base_model"] == "org/bert-base"
    assert DEFAULT_EVALUATION in card.text and "Moby-Dick." in card.text


def test_the_metrics_table_lists_every_metric_in_the_evaluation_section():
    text = render_model_card(TINY_CONFIGS["gpt2"], metrics=RUN_METRICS).text
    assert "| Held-out perplexity bound (exp of the loss) | 70.1 |" in text


@pytest.mark.parametrize(
    ("kwargs", "error", "named"),
    [
        ({"metrics": {"eval_loss": "low"}}, TypeError, "eval_loss"),
        ({"metrics": {"eval_loss": float("nan")}}, ValueError, "eval_loss"),
        ({"metrics": [("eval_loss", 1.0)]}, TypeError, "mapping"),
        ({"datasets": ["ok", 3]}, TypeError, "datasets"),
        ({"model_name": ""}, TypeError, "model_name"),
        ({"evaluation": 0.5}, TypeError, "evaluation"),
    ],
)
def test_bad_card_arguments_raise_errors_naming_the_argument(kwargs, error, named):
    with pytest.raises(error, match=named):
        render_model_card(TINY_CONFIGS["bert"], **kwargs)


def test_a_config_that_is_not_hf_ssl_is_refused_with_its_model_type():
    from transformers import BertConfig

    with pytest.raises(ValueError, match="'bert'"):
        render_model_card(BertConfig())


def test_save_pretrained_writes_the_family_card_as_readme(tmp_path):
    model = make_model("roberta", hf_ssl.RobertaModel)
    model.save_pretrained(tmp_path / "saved")
    card = _saved_card(tmp_path / "saved")
    assert "roberta" in card.data.tags and "RoBERTa" in card.text
    assert card.data.eval_results is None


def test_save_pretrained_keeps_a_readme_the_user_wrote(tmp_path):
    target = tmp_path / "saved"
    target.mkdir()
    (target / "README.md").write_text("# my own card\n")
    model = make_model("bert", hf_ssl.BertModel)
    model.save_pretrained(target)
    model.save_pretrained(target)  # a second save over a complete checkpoint keeps it too
    assert (target / "README.md").read_text() == "# my own card\n"
    AutoModel.from_pretrained(target)


def test_push_to_hub_uploads_the_hf_ssl_card_with_the_given_tags(hub):
    hf_ssl.AlbertForMaskedLM(TINY_CONFIGS["albert"]).push_to_hub("org/albert-card", tags=["my-run"])
    card = ModelCard.load("org/albert-card")
    assert {"hf_ssl", "albert", "my-run"} <= set(card.data.tags)
    assert "ALBERT" in card.text and "automatically generated" not in card.text


def test_a_card_already_in_the_repo_survives_a_push_and_gains_the_tags(inline_hub, tmp_path):
    from huggingface_hub import HfApi

    HfApi().create_repo("org/kept")
    HfApi().upload_file(
        path_or_fileobj=b"---\nlicense: mit\n---\n# the user's card\n",
        path_in_repo="README.md",
        repo_id="org/kept",
    )
    make_model("gpt2", hf_ssl.GPTLMHeadModel).push_to_hub("org/kept", tags=["extra"])
    card = ModelCard.load("org/kept")
    assert card.data.license == "mit" and "# the user's card" in card.text
    assert card.data.tags == ["extra"]


def test_save_pretrained_with_push_to_hub_pushes_the_card_and_keeps_it_locally(inline_hub, tmp_path):
    make_model("bart", hf_ssl.BartModel).save_pretrained(
        tmp_path / "saved", push_to_hub=True, repo_id="org/bart"
    )
    files = inline_hub.state.repos["org/bart"].resolve("main").files
    assert files["README.md"].data == (tmp_path / "saved" / "README.md").read_bytes()
    assert b"an hf_ssl BART" in files["README.md"].data


def test_pretrain_writes_a_card_with_the_runs_metrics_and_settings(tmp_path):
    from hf_ssl.data import load_default_corpus

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n\n".join("\n".join(doc) for doc in load_default_corpus()[:60]))
    output = tmp_path / "bert-run"
    settings = PretrainSettings(
        model="bert",
        corpus=str(corpus),
        output=str(output),
        vocab_size=200,
        seq_len=32,
        batch_size=8,
        steps=2,
    )
    metrics = pretrain(settings)
    card = _saved_card(output)
    results = {r.metric_type: r.metric_value for r in card.data.eval_results}
    assert results == pytest.approx(
        {"loss": metrics["eval_loss"], "perplexity": metrics["eval_perplexity_bound"]}
    )
    assert card.data.datasets == ["corpus.txt"] and card.data.model_name == "bert-run"
    assert "| steps | 2 |" in card.text and "| sequence length | 32 |" in card.text
    assert "{{" not in card.text


def _every_head() -> list[tuple[str, type]]:
    from tests.models.tiny import all_heads

    return [(family, model_class) for family, _, model_class in all_heads()]


@pytest.mark.parametrize(("family", "model_class"), _every_head(), ids=lambda v: getattr(v, "__name__", v))
def test_no_card_names_a_pipeline_task_transformers_lacks(family, model_class):
    from transformers.pipelines import REMOVED_TASKS, SUPPORTED_TASKS

    card = render_model_card(make_model(family, model_class))
    tag = card.data.pipeline_tag
    assert tag is None or tag in SUPPORTED_TASKS, tag
    assert not set(card.data.tags) & set(REMOVED_TASKS), card.data.tags


@pytest.mark.parametrize(
    ("head", "pipeline_tag"),
    [
        ("BertForSequenceClassification", "text-classification"),
        ("BertForTokenClassification", "token-classification"),
        ("BertForQuestionAnswering", None),
    ],
)
def test_a_fine_tuned_head_gets_its_own_card(head, pipeline_tag):
    model = make_model("bert", getattr(hf_ssl, head))
    model.config.id2label = {0: "negative", 1: "positive"}
    card = render_model_card(
        model, metrics={"eval_accuracy": 0.75}, base_model="org/bert-tiny", datasets=["moods"]
    )
    assert card.data.pipeline_tag == pipeline_tag
    assert card.data.base_model == "org/bert-tiny"
    (result,) = card.data.eval_results
    assert result.metric_type == "accuracy" and result.metric_value == 0.75
    assert result.task_type == (pipeline_tag or "extractive-question-answering")
    assert f"**Fine-tuned.** `{head}`, fine-tuned from `org/bert-tiny`" in card.text
    assert "labels: `negative`, `positive`" in card.text
    assert "fill-mask" not in str(card.data.to_dict())  # not the pretraining family's card
    pretraining = render_model_card(make_model("bert", hf_ssl.BertForPreTraining))
    assert pretraining.data.pipeline_tag == "fill-mask" and "Fine-tuned" not in pretraining.text
