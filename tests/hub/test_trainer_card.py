"""Trainer.push_to_hub with hf_ssl's Trainer uploads hf_ssl's card, over the loopback Hub."""

from __future__ import annotations

import torch
from huggingface_hub import ModelCard
from transformers import TrainingArguments

import hf_ssl
from tests.models.tiny import make_model


def _rows(n: int = 8) -> list[dict]:
    generator = torch.Generator().manual_seed(0)
    return [
        {"input_ids": torch.randint(5, 128, (6,), generator=generator).tolist(), "labels": i % 2}
        for i in range(n)
    ]


def _trainer(tmp_path, repo: str) -> hf_ssl.SafeCheckpointTrainer:
    model = make_model("bert", hf_ssl.BertForSequenceClassification)
    model.config.id2label, model.config.label2id = {0: "calm", 1: "stormy"}, {"calm": 0, "stormy": 1}
    args = TrainingArguments(
        str(tmp_path / repo),
        max_steps=2,
        per_device_train_batch_size=4,
        report_to=[],
        hub_model_id=f"org/{repo}",
    )

    def collate(rows: list[dict]) -> dict:
        return {
            "input_ids": torch.tensor([r["input_ids"] for r in rows]),
            "labels": torch.tensor([r["labels"] for r in rows]),
        }

    return hf_ssl.SafeCheckpointTrainer(
        model=model,
        args=args,
        train_dataset=_rows(),
        eval_dataset=_rows(4),
        data_collator=collate,
        compute_metrics=lambda p: {"accuracy": float((p.predictions.argmax(-1) == p.label_ids).mean())},
    )


def test_trainer_push_to_hub_uploads_the_fine_tuned_models_own_card(inline_hub, tmp_path):
    trainer = _trainer(tmp_path, "classifier")
    trainer.train()
    trainer.evaluate()
    trainer.push_to_hub(finetuned_from="org/bert-tiny", dataset_tags="moods")
    card = ModelCard.load("org/classifier")
    assert card.data.pipeline_tag == "text-classification" and card.data.base_model == "org/bert-tiny"
    assert {result.metric_type for result in card.data.eval_results} >= {"accuracy", "loss"}
    assert "labels: `calm`, `stormy`" in card.text and "trained from scratch" not in card.text
    assert card.text == ModelCard.load(tmp_path / "classifier" / "README.md").text


def test_a_card_that_records_results_survives_a_later_push(inline_hub, tmp_path):
    trainer = _trainer(tmp_path, "pretrained")
    written = hf_ssl.hub.render_model_card(
        trainer.model, model_name="pretrained", metrics={"eval_loss": 3.5}, datasets=["moby-dick"]
    )
    (tmp_path / "pretrained").mkdir(exist_ok=True)
    written.save(tmp_path / "pretrained" / "README.md")
    trainer.train()
    trainer.push_to_hub()
    assert ModelCard.load("org/pretrained").content == written.content


def test_a_readme_the_user_wrote_is_never_replaced(inline_hub, tmp_path):
    trainer = _trainer(tmp_path, "mine")
    (tmp_path / "mine").mkdir(exist_ok=True)
    (tmp_path / "mine" / "README.md").write_text("# My notes\n\nKeep these.\n")
    trainer.train()
    trainer.create_model_card(finetuned_from="org/bert-tiny")
    assert (tmp_path / "mine" / "README.md").read_text() == "# My notes\n\nKeep these.\n"
    assert [p.name for p in (tmp_path / "mine").iterdir() if p.name.endswith(".tmp")] == []
