"""GPTTaskCollator: GPT-1's input transformations, and the heads that read them."""

from __future__ import annotations

import pytest
import torch

import hf_ssl
from hf_ssl.objectives import GPTTaskCollator

START, DELIM, EXTRACT, PAD = 90, 91, 92, 0


def collator(task, **kwargs):
    return GPTTaskCollator(task, START, DELIM, EXTRACT, PAD, **kwargs)


def test_classification_frames_the_text_with_start_and_extract():
    out = collator("classification")([{"input_ids": [5, 6], "label": 1}, {"input_ids": [7], "label": 0}])
    assert out["input_ids"].tolist() == [[START, 5, 6, EXTRACT], [START, 7, EXTRACT, PAD]]
    assert out["attention_mask"].tolist() == [[1, 1, 1, 1], [1, 1, 1, 0]]
    assert out["labels"].tolist() == [1, 0]


def test_entailment_puts_the_delimiter_between_premise_and_hypothesis():
    out = collator("entailment")([{"input_ids": [5, 6], "pair_ids": [7], "label": 2}])
    assert out["input_ids"].tolist() == [[START, 5, 6, DELIM, 7, EXTRACT]]


def test_similarity_encodes_both_orders():
    out = collator("similarity")([{"input_ids": [5, 6], "pair_ids": [7], "label": 1}])
    assert out["input_ids"].tolist() == [[[START, 5, 6, DELIM, 7, EXTRACT], [START, 7, DELIM, 5, 6, EXTRACT]]]


def test_multiple_choice_makes_one_row_per_answer():
    out = collator("multiple_choice")([{"input_ids": [5], "choices": [[6, 7], [8]], "label": 0}])
    assert out["input_ids"].shape == (1, 2, 6)
    assert out["input_ids"][0, 1].tolist() == [START, 5, DELIM, 8, EXTRACT, PAD]


def test_too_long_inputs_are_cut_from_the_longest_part_keeping_the_special_tokens():
    out = collator("entailment", max_length=8)([{"input_ids": list(range(10, 20)), "pair_ids": [5, 6]}])
    assert out["input_ids"].tolist() == [[START, 10, 11, 12, DELIM, 5, 6, EXTRACT]]


@pytest.mark.parametrize(
    ("task", "feature", "message"),
    [
        ("entailment", {"input_ids": [5]}, r"lacks \['pair_ids'\]"),
        ("multiple_choice", {"input_ids": [5], "choices": [[6]]}, "at least 2 answers"),
    ],
)
def test_bad_features_raise_naming_what_is_missing(task, feature, message):
    with pytest.raises(ValueError, match=message):
        collator(task)([feature])


def test_unknown_task_is_refused_by_name():
    with pytest.raises(ValueError, match="task='translation'"):
        collator("translation")


def test_from_tokenizer_adds_the_three_task_tokens(wordpiece_tokenizer):
    import copy

    tokenizer = copy.deepcopy(wordpiece_tokenizer)
    before = len(tokenizer)
    built = GPTTaskCollator.from_tokenizer(tokenizer, "classification")
    assert len(tokenizer) == before + 3
    assert tokenizer.convert_ids_to_tokens(built.extract_token_id) == "_classify_"


def _tiny(model_class, **overrides):
    torch.manual_seed(0)
    config = hf_ssl.GPTConfig(
        vocab_size=100,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=32,
        bos_token_id=1,
        eos_token_id=2,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        embedding_dropout_prob=0.0,
        **overrides,
    )
    return model_class(config).eval()


@torch.no_grad()
def test_similarity_logits_are_symmetric_in_the_two_sentences():
    model = _tiny(hf_ssl.GPTForSequenceClassification)
    ab = collator("similarity")([{"input_ids": [5, 6, 7], "pair_ids": [8, 9]}])
    ba = collator("similarity")([{"input_ids": [8, 9], "pair_ids": [5, 6, 7]}])
    torch.testing.assert_close(model(**ab).logits, model(**ba).logits)


@torch.no_grad()
def test_classifier_reads_the_extract_token_state():
    model = _tiny(hf_ssl.GPTForSequenceClassification)
    batch = collator("classification")([{"input_ids": [5, 6, 7]}, {"input_ids": [8]}])
    hidden = model.transformer(batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
    extract = hidden[torch.arange(2), batch["attention_mask"].sum(-1) - 1]
    torch.testing.assert_close(model(**batch).logits, model.score(extract))


def test_fine_tuning_loss_is_task_loss_plus_half_the_lm_loss_and_zero_disables_it():
    batch = collator("multiple_choice")(
        [{"input_ids": [5, 6], "choices": [[7], [8, 9], [10]], "label": 1}] * 2
    )
    model = _tiny(hf_ssl.GPTForMultipleChoice)
    out = model(**batch)
    assert model.config.lm_coef == 0.5 and out.logits.shape == (2, 3)
    torch.testing.assert_close(out.loss, out.classification_loss + 0.5 * out.lm_loss)
    expected_task = torch.nn.functional.cross_entropy(out.logits, batch["labels"])
    torch.testing.assert_close(out.classification_loss, expected_task)
    # The auxiliary loss is each row's mean next-token loss over its real tokens, averaged over rows.
    rows = batch["input_ids"].view(6, -1)
    mask = batch["attention_mask"].view(6, -1)
    with torch.no_grad():
        logits = model.lm_head(model.transformer(rows, attention_mask=mask).last_hidden_state)
    per_token = torch.nn.functional.cross_entropy(
        logits[:, :-1].transpose(1, 2), rows[:, 1:], reduction="none"
    )
    per_row = (per_token * mask[:, 1:]).sum(-1) / mask[:, 1:].sum(-1)
    torch.testing.assert_close(out.lm_loss, per_row.mean())
    off = _tiny(hf_ssl.GPTForMultipleChoice, lm_coef=0.0)(**batch)
    assert off.lm_loss is None
    torch.testing.assert_close(off.loss, off.classification_loss)
