"""TagLM: Auto round trip, padding invariance, the frozen LM, CRF outputs, the pipeline, Trainer."""

from __future__ import annotations

import pytest
import torch
from torch.nn.utils.rnn import pad_packed_sequence
from transformers import AutoModelForTokenClassification, Trainer, TrainingArguments, pipeline
from transformers.data.data_collator import DataCollatorForTokenClassification

import hf_ssl
from hf_ssl.constants import IGNORE_INDEX
from hf_ssl.data import train_word_level_tokenizer
from hf_ssl.data.conll import tokenize_and_align
from hf_ssl.metrics import compute_tagging_metrics

LABELS = ["O", "B-THING", "I-THING"]
THINGS = {"whale", "ship", "boat", "sea"}
SIZES = {"rnn_hidden_size": 12, "word_embedding_size": 12, "char_filters": 8, "char_embedding_size": 8}


@pytest.fixture(scope="module")
def tokenizer(corpus_sentences):
    return train_word_level_tokenizer(corpus_sentences, vocab_size=300, model_max_length=48)


def tiny_lm(kind: str, vocab_size: int) -> torch.nn.Module:
    torch.manual_seed(0)
    if kind == "bert":
        return hf_ssl.BertModel(
            hf_ssl.BertConfig(
                vocab_size=vocab_size,
                hidden_size=32,
                num_hidden_layers=2,
                num_attention_heads=4,
                intermediate_size=64,
                max_position_embeddings=64,
            )
        )
    if kind == "gpt":
        return hf_ssl.GPTModel(
            hf_ssl.GPTConfig(
                vocab_size=vocab_size,
                hidden_size=32,
                num_hidden_layers=2,
                num_attention_heads=4,
                intermediate_size=64,
                max_position_embeddings=64,
                pad_token_id=0,
                bos_token_id=2,
                eos_token_id=3,
            )
        )
    return hf_ssl.CBOWModel(hf_ssl.CBOWConfig(vocab_size=vocab_size, embedding_size=24))


def tagger(tokenizer, kind: str = "bert", **kwargs) -> hf_ssl.TagLMForTokenClassification:
    lm = tiny_lm(kind, len(tokenizer))
    torch.manual_seed(1)
    return hf_ssl.TagLMForTokenClassification.from_lm(
        lm, tokenizer, LABELS, **{"dropout": 0.0, **SIZES, **kwargs}
    )


def tagged_sentences(sentences: list[str], count: int) -> list[dict]:
    """Words of THINGS become B-THING; a THING right after another continues it (I-THING)."""
    out = []
    for sentence in sentences[:count]:
        words = sentence.lower().replace(",", " ,").replace(".", " .").split()[:20]
        tags, previous = [], "O"
        for word in words:
            tag = ("I-THING" if previous != "O" else "B-THING") if word in THINGS else "O"
            tags.append(tag)
            previous = tag
        out.append({"tokens": words, "tags": tags})
    return out


def encode(tokenizer, texts: list[str]) -> dict[str, torch.Tensor]:
    return dict(tokenizer(texts, padding=True, return_tensors="pt", return_token_type_ids=False))


@pytest.mark.parametrize("kind", ["bert", "gpt", "cbow"])
@torch.no_grad()
def test_save_then_load_through_auto_gives_identical_outputs_and_no_missing_keys(tokenizer, kind, tmp_path):
    model = tagger(tokenizer, kind).eval()
    inputs = encode(tokenizer, ["The whale rose from the sea.", "Call me Ishmael."])
    model.save_pretrained(tmp_path)
    loaded, info = AutoModelForTokenClassification.from_pretrained(tmp_path, output_loading_info=True)
    assert type(loaded) is hf_ssl.TagLMForTokenClassification
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
    assert torch.equal(loaded.token_chars, model.token_chars) and loaded.token_chars.abs().sum() > 0
    expected, actual = model(**inputs), loaded.eval()(**inputs)
    torch.testing.assert_close(actual.logits, expected.logits, rtol=0, atol=1e-6)
    assert torch.equal(actual.predictions, expected.predictions)
    assert not any(p.requires_grad for p in loaded.lm.parameters())


@pytest.mark.parametrize("kind", ["bert", "gpt"])
@torch.no_grad()
def test_padded_batch_equals_each_row_run_alone(tokenizer, kind):
    model = tagger(tokenizer, kind).eval()
    texts = ["The whale rose from the sea and sank again.", "Call me Ishmael.", "Ship ahoy!"]
    batch = encode(tokenizer, texts)
    out = model(**batch)
    for row, text in enumerate(texts):
        alone = model(**encode(tokenizer, [text]))
        length = alone.logits.shape[1]
        torch.testing.assert_close(alone.logits[0], out.logits[row, :length], atol=1e-5, rtol=1e-5)
        assert torch.equal(alone.predictions[0], out.predictions[row, :length])


@torch.no_grad()
def test_logits_are_crf_marginals_over_the_words_and_predictions_are_viterbi(tokenizer):
    model = tagger(tokenizer).eval()
    with torch.no_grad():
        model.crf.transitions.normal_()  # non-trivial transitions: marginals differ from a softmax
    batch = encode(tokenizer, ["The whale rose from the sea.", "Call me Ishmael."])
    out = model(**batch)
    special = torch.isin(batch["input_ids"], model.special_ids)
    words = batch["attention_mask"].bool() & ~special
    probabilities = out.logits.exp()
    torch.testing.assert_close(probabilities[words].sum(-1), torch.ones(int(words.sum())))
    assert bool((out.logits[~words] == 0).all()) and bool((out.predictions[~words] == IGNORE_INDEX).all())
    for row in range(2):
        chain = out.emissions[row][words[row]].unsqueeze(0)  # the words only, [CLS]/[SEP] skipped
        torch.testing.assert_close(out.logits[row][words[row]], model.crf.marginals(chain)[0])
        assert out.predictions[row][words[row]].tolist() == model.crf.viterbi_decode(chain)[0][0].tolist()
    # BIO constraints were detected from the label names: no path opens with I-THING.
    assert model.config.tagging_scheme == "BIO"
    assert model.crf.start_penalty[LABELS.index("I-THING")] < -1000


@torch.no_grad()
def test_loss_is_the_crf_negative_log_likelihood_per_labelled_word(tokenizer):
    model = tagger(tokenizer).eval()
    batch = encode(tokenizer, ["The whale rose.", "Call me."])
    special = torch.isin(batch["input_ids"], model.special_ids)
    words = batch["attention_mask"].bool() & ~special
    labels = torch.full_like(batch["input_ids"], IGNORE_INDEX)
    count = int(words.sum())
    labels[words] = torch.tensor([1, 0, 0, 0, 1, 2, 0])[:count]
    out = model(**batch, labels=labels)
    expected = 0.0
    for row in range(2):
        chain = out.emissions[row][words[row]].unsqueeze(0)
        expected -= model.crf.log_likelihood(chain, labels[row][words[row]].unsqueeze(0))[0]
    torch.testing.assert_close(out.loss, expected / count)


def test_the_lm_is_frozen_and_stays_in_eval_mode_while_the_tagger_trains(tokenizer):
    model = tagger(tokenizer, dropout=0.1)
    lm_before = {k: v.clone() for k, v in model.lm.state_dict().items()}
    tagger_before = model.dense.weight.clone()
    model.train()
    assert model.training and not model.lm.training
    assert not any(p.requires_grad for p in model.lm.parameters())
    batch = encode(tokenizer, ["The whale rose from the sea."])
    labels = torch.zeros_like(batch["input_ids"])
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.5)
    model(**batch, labels=labels).loss.backward()
    assert all(p.grad is None for p in model.lm.parameters())
    assert all(p.grad is not None for n, p in model.named_parameters() if not n.startswith("lm."))
    optimizer.step()
    for key, value in model.lm.state_dict().items():
        assert torch.equal(value, lm_before[key]), key
    assert not torch.equal(model.dense.weight, tagger_before)


@pytest.mark.parametrize("lm_layer", [None, 1])
@torch.no_grad()
def test_lm_states_join_the_tagger_after_its_first_rnn_layer(tokenizer, lm_layer):
    model = tagger(tokenizer, lm_layer=lm_layer).eval()
    batch = encode(tokenizer, ["The whale rose."])
    seen = {}
    model.rnn2.register_forward_pre_hook(lambda module, args: seen.update(input=args[0]))
    model(**batch)
    rnn2_input = pad_packed_sequence(seen["input"], batch_first=True)[0]  # (1, t, 2H + D)
    lm_out = model.lm(**batch, output_hidden_states=True)
    lm_states = lm_out.last_hidden_state if lm_layer is None else lm_out.hidden_states[lm_layer]
    assert rnn2_input.shape[-1] == 2 * SIZES["rnn_hidden_size"] + lm_states.shape[-1]
    torch.testing.assert_close(rnn2_input[..., -lm_states.shape[-1] :], lm_states)
    assert model.rnn1.input_size == SIZES["char_filters"] + SIZES["word_embedding_size"]  # no LM at the input


def test_from_lm_starts_the_word_embeddings_from_given_vectors(tokenizer):
    cbow = tiny_lm("cbow", len(tokenizer))
    lm = tiny_lm("bert", len(tokenizer))
    model = hf_ssl.TagLMForTokenClassification.from_lm(
        lm, tokenizer, LABELS, word_vectors=cbow, **{**SIZES, "word_embedding_size": 24}
    )
    assert torch.equal(model.word_embeddings.weight, cbow.embeddings.weight)
    with pytest.raises(ValueError, match="word_vectors have shape"):
        hf_ssl.TagLMForTokenClassification.from_lm(lm, tokenizer, LABELS, word_vectors=torch.zeros(3, 24))


def test_pipeline_tags_text_with_calibrated_scores(tokenizer, tmp_path):
    model = tagger(tokenizer).eval()
    tagger_pipeline = pipeline("token-classification", model=model, tokenizer=tokenizer)
    text = "The whale rose from the sea."
    results = tagger_pipeline(text)
    out = model(**encode(tokenizer, [text]))
    for item in results:
        assert item["entity"] in LABELS
        probability = out.logits[0, item["index"]].exp().max().item()
        assert item["score"] == pytest.approx(probability, rel=1e-4)


def test_trainer_learns_a_tiny_tagging_task_and_reports_entity_f1(tokenizer, corpus_sentences, tmp_path):
    sentences = [s for s in tagged_sentences(corpus_sentences, 300) if any(t != "O" for t in s["tags"])][:32]
    label2id = {label: i for i, label in enumerate(LABELS)}
    features = tokenize_and_align(tokenizer, sentences, label2id, max_length=24)
    model = tagger(tokenizer)
    args = TrainingArguments(
        output_dir=str(tmp_path),
        per_device_train_batch_size=8,
        num_train_epochs=8,
        learning_rate=0.05,
        logging_steps=4,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        seed=0,
        disable_tqdm=True,
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=features,
        eval_dataset=features[:16],
        data_collator=DataCollatorForTokenClassification(tokenizer),
        compute_metrics=compute_tagging_metrics(model.config.id2label),
    )
    trainer.train()
    losses = [log["loss"] for log in trainer.state.log_history if "loss" in log]
    assert all(torch.isfinite(torch.tensor(losses))) and losses[-1] < 0.5 * losses[0], losses
    metrics = trainer.evaluate()
    assert metrics["eval_f1"] > 0.8, metrics


def test_bad_inputs_raise_with_the_problem(tokenizer):
    model = tagger(tokenizer)
    batch = encode(tokenizer, ["The whale rose from the sea.", "Call me."])
    with pytest.raises(ValueError, match="right padding"):
        model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"].flip(1))
    with pytest.raises(ValueError, match="labels have shape"):
        model(**batch, labels=torch.zeros(2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="lm_config is None"):
        hf_ssl.TagLMForTokenClassification(hf_ssl.TagLMConfig())
    with pytest.raises(ValueError, match="distinct tags"):
        hf_ssl.TagLMForTokenClassification.from_lm(tiny_lm("bert", len(tokenizer)), tokenizer, ["O", "O"])
    with pytest.raises(ValueError, match="the tokenizer has 300 tokens but the LM only 100"):
        hf_ssl.TagLMForTokenClassification.from_lm(tiny_lm("bert", 100), tokenizer, LABELS)
    with pytest.raises(ValueError, match="rnn_type='rnn'"):
        hf_ssl.TagLMConfig(rnn_type="rnn")


def test_from_lm_takes_a_head_model_and_copies_its_encoder(tokenizer):
    torch.manual_seed(0)
    head = hf_ssl.BertForMaskedLM(tiny_lm("bert", len(tokenizer)).config)
    model = hf_ssl.TagLMForTokenClassification.from_lm(head, tokenizer, LABELS, **SIZES)
    for name, value in head.bert.state_dict().items():
        assert torch.equal(model.lm.state_dict()[name], value), name


@torch.no_grad()
def test_micro_batches_normalised_by_num_items_in_batch_add_up_to_the_whole_batch_loss(tokenizer):
    """What Trainer relies on under gradient accumulation (it passes num_items_in_batch)."""
    model = tagger(tokenizer).eval()
    texts = ["The whale rose from the sea.", "Call me Ishmael.", "Ship ahoy!"]
    whole = encode(tokenizer, texts)
    labels = torch.where(whole["attention_mask"].bool(), 0, IGNORE_INDEX)
    labels[:, 0] = IGNORE_INDEX
    count = int(labels.ne(IGNORE_INDEX).sum())
    expected = model(**whole, labels=labels).loss
    parts = []
    for rows in (slice(0, 1), slice(1, 3)):
        part = encode(tokenizer, texts[rows])
        part_labels = labels[rows, : part["input_ids"].shape[1]]
        parts.append(model(**part, labels=part_labels, num_items_in_batch=count).loss)
    torch.testing.assert_close(sum(parts), expected)


def test_decode_returns_the_viterbi_label_names_of_the_words_and_restores_the_mode(tokenizer):
    model = tagger(tokenizer).train()
    batch = encode(tokenizer, ["The whale rose from the sea.", "Call me."])
    names = model.decode(**batch)
    assert model.training and not model.lm.training
    predictions = model.eval()(**batch).predictions
    for row, row_names in enumerate(names):
        ids = predictions[row][predictions[row] != IGNORE_INDEX].tolist()
        assert row_names == [LABELS[i] for i in ids]
    # Every word and punctuation mark, [UNK] included; [CLS], [SEP] and padding skipped.
    assert [len(n) for n in names] == [7, 3]
    assert tokenizer.unk_token_id in batch["input_ids"][0].tolist()


def tiny_elmo() -> hf_ssl.ElmoModel:
    torch.manual_seed(0)
    config = hf_ssl.ElmoConfig(
        char_embedding_dim=4,
        filters=[[1, 8], [2, 8]],
        n_highway=1,
        projection_dim=8,
        lstm_dim=16,
        n_layers=2,
        vocab_size=40,
        dropout=0.0,
    )
    return hf_ssl.ElmoModel(config).eval()


@torch.no_grad()
def test_elmo_provides_the_lm_states_from_each_tokens_characters(tokenizer, tmp_path):
    from hf_ssl.objectives import batch_to_char_ids

    elmo = tiny_elmo()
    torch.manual_seed(1)
    model = hf_ssl.TagLMForTokenClassification.from_lm(elmo, tokenizer, LABELS, dropout=0.0, **SIZES).eval()
    assert model.config.lm_reads_characters and model.config.lm_output_size == 16
    texts = ["the whale rose from the sea", "call me ishmael"]
    batch = encode(tokenizer, texts)
    states = model._lm_states(batch["input_ids"], batch["attention_mask"])  # (b, t, D)
    # The same words through ELMo directly: the tagger's table gives ELMo exactly these characters.
    words = [
        tokenizer.convert_ids_to_tokens(ids[mask.bool()].tolist())
        for ids, mask in zip(batch["input_ids"], batch["attention_mask"], strict=True)
    ]
    expected = elmo(input_ids=batch_to_char_ids(words)).last_hidden_state
    torch.testing.assert_close(states[:, : expected.shape[1]], expected, atol=1e-6, rtol=1e-6)
    model.save_pretrained(tmp_path)
    loaded = AutoModelForTokenClassification.from_pretrained(tmp_path).eval()
    torch.testing.assert_close(loaded(**batch).logits, model(**batch).logits)
    assert not any(p.requires_grad for p in loaded.lm.parameters())


@torch.no_grad()
def test_char_ids_override_the_vocabulary_table_so_unknown_words_keep_their_characters(tokenizer):
    from hf_ssl.models.taglm import encode_characters

    model = tagger(tokenizer).eval()
    batch = encode(tokenizer, ["The whale rose from the sea."])
    table = model.token_chars[batch["input_ids"]]
    same = model(**batch, char_ids=table)
    torch.testing.assert_close(same.logits, model(**batch).logits, rtol=0, atol=0)
    unk = batch["input_ids"][0].tolist().index(tokenizer.unk_token_id)
    real = table.clone()
    real[0, unk] = encode_characters(["rose"], model.config.max_word_chars)[0]
    changed = model(**batch, char_ids=real).emissions
    assert not torch.allclose(changed[0, unk], same.emissions[0, unk])
    with pytest.raises(ValueError, match="char_ids have shape"):
        model(**batch, char_ids=table[:, :2])
    with pytest.raises(ValueError, match="char_ids must lie in"):
        model(**batch, char_ids=table + 300)
