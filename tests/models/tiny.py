"""The registry of tiny models that every generic test runs over, and their inputs.

A family joins the generic suite by adding its tiny config here: every head registered for it in
`hf_ssl.AUTO_CLASSES` is then tested (save/load, Auto resolution, padding, eager vs sdpa, backward,
Trainer gradient accumulation, activation checkpointing).
"""

from __future__ import annotations

from typing import Any

import torch
from transformers import PreTrainedConfig, PreTrainedModel

import hf_ssl

VOCAB = 128
BATCH, LENGTH, CHOICES = 3, 10, 2
LENGTHS = (10, 7, 4)  # rows are right-padded to LENGTH

TINY_CONFIGS: dict[str, PreTrainedConfig] = {
    "bert": hf_ssl.BertConfig(
        vocab_size=VOCAB,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        num_labels=3,
    ),
    "roberta": hf_ssl.RobertaConfig(
        vocab_size=VOCAB,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=66,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        num_labels=3,
    ),
    # 3 layers over 2 shared groups: exercises both factorized embeddings and uneven sharing.
    "albert": hf_ssl.AlbertConfig(
        vocab_size=VOCAB,
        embedding_size=16,
        hidden_size=32,
        num_hidden_layers=3,
        num_hidden_groups=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
        classifier_dropout=0.0,
        num_labels=3,
    ),
    # Generator at half width (16 = E: no generator projection; the discriminator projects 16 -> 32).
    "electra": hf_ssl.ElectraConfig(
        vocab_size=VOCAB,
        embedding_size=16,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        generator_size=0.5,
        num_labels=3,
    ),
    "gpt2": hf_ssl.GPTConfig(
        vocab_size=VOCAB,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
        norm_position="pre",
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        embedding_dropout_prob=0.0,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
    ),
    "gpt1": hf_ssl.GPTConfig(
        vocab_size=VOCAB,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        max_position_embeddings=64,
        norm_position="post",
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        embedding_dropout_prob=0.0,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
    ),
    # BART's own special ids (<s>=0, <pad>=1, </s>=2 = decoder start): inputs end with </s>.
    "bart": hf_ssl.BartConfig(
        vocab_size=VOCAB,
        d_model=32,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=4,
        decoder_attention_heads=4,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=64,
        dropout=0.0,
        num_labels=3,
    ),
    # MASS-base's shape in miniature: scaled embeddings, dropout-free for the exact tests.
    "mass": hf_ssl.MassConfig(
        vocab_size=VOCAB,
        d_model=32,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=4,
        decoder_attention_heads=4,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=64,
        dropout=0.0,
        attention_dropout=0.0,
        activation_dropout=0.0,
        bos_token_id=3,
        eos_token_id=4,
        decoder_start_token_id=4,
        forced_eos_token_id=4,
    ),
    # Without prefix_lengths a prefix LM is a causal decoder; tests/models/test_prefix_lm.py covers the prefix.
    "prefix_lm": hf_ssl.PrefixLMConfig(
        vocab_size=VOCAB,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        embedding_dropout_prob=0.0,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
    ),
    # T5 v1.1 (gated GELU, untied head) and a Switch variant: 4 experts, every other FFN sparse.
    "t5": hf_ssl.T5Config(
        vocab_size=VOCAB,
        d_model=32,
        d_kv=8,
        d_ff=64,
        num_heads=4,
        num_layers=2,
        dropout_rate=0.0,
        feed_forward_proj="gated-gelu",
        tie_word_embeddings=False,
        num_labels=3,
    ),
    "switch": hf_ssl.T5Config(
        vocab_size=VOCAB,
        d_model=32,
        d_kv=8,
        d_ff=64,
        num_heads=4,
        num_layers=2,
        dropout_rate=0.0,
        num_experts=4,
        expert_capacity=64,
        router_jitter_noise=0.0,
    ),
    # Recurrent and static families: no attention kernel, their own inputs (see make_inputs).
    "elmo": hf_ssl.ElmoConfig(
        char_embedding_dim=4,
        filters=[[1, 8], [2, 8]],
        n_highway=1,
        projection_dim=8,
        lstm_dim=16,
        n_layers=2,
        vocab_size=VOCAB,
        dropout=0.0,
        representation_dropout=0.0,
        num_labels=3,
    ),
    "cbow": hf_ssl.CBOWConfig(vocab_size=VOCAB, embedding_size=16, num_negatives=3),
    "taglm": hf_ssl.TagLMConfig(
        vocab_size=VOCAB,
        lm_config=hf_ssl.BertConfig(
            vocab_size=VOCAB,
            hidden_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=32,
            max_position_embeddings=64,
        ).to_dict(),
        lm_output_size=16,
        rnn_hidden_size=8,
        word_embedding_size=8,
        char_filters=4,
        char_embedding_size=4,
        dropout=0.0,
        special_token_ids=[0],
        id2label={0: "O", 1: "B-X", 2: "I-X"},
        label2id={"O": 0, "B-X": 1, "I-X": 2},
    ),
}

# Two families share GPTConfig; the registry is keyed by family, Auto classes by config class.
CAUSAL_FAMILIES = ("gpt2", "gpt1", "prefix_lm")
# Mixture-of-experts families: routing statistics are per batch.
ROUTED_FAMILIES = ("switch",)
# Families without attention: no kernel to choose, no activation checkpointing to compare.
RECURRENT_FAMILIES = ("elmo", "cbow", "taglm")


def all_heads() -> list[tuple[str, type, type[PreTrainedModel]]]:
    """(family, Auto class, model class) for every registered head of every tiny family."""
    heads = []
    for family, config in TINY_CONFIGS.items():
        for auto_class, model_class in hf_ssl.AUTO_CLASSES[type(config)].items():
            heads.append((family, auto_class, model_class))
    return heads


def head_id(head: tuple[str, type, type]) -> str:
    return f"{head[0]}-{head[1].__name__}-{head[2].__name__}"


def make_model(family: str, model_class: type[PreTrainedModel], attn: str = "sdpa", seed: int = 0) -> Any:
    torch.manual_seed(seed)
    config = type(TINY_CONFIGS[family]).from_dict(TINY_CONFIGS[family].to_dict())
    if family in RECURRENT_FAMILIES:
        return model_class._from_config(config)
    return model_class._from_config(config, attn_implementation=attn)


def make_inputs(
    model: PreTrainedModel, *, labels: bool = False, seed: int = 0, equal_masks: bool = False
) -> dict:
    """A right-padded batch (rows of LENGTHS) for `model`, with the labels its head takes."""
    g = torch.Generator().manual_seed(seed)
    model_type = model.config.model_type
    if model_type in _SPECIAL_INPUTS:
        return _SPECIAL_INPUTS[model_type](model, labels, g)
    pad = model.config.pad_token_id
    ids = torch.randint(5, VOCAB, (BATCH, LENGTH), generator=g)
    mask = torch.zeros(BATCH, LENGTH, dtype=torch.long)
    for row, length in enumerate(LENGTHS):
        mask[row, :length] = 1
    if model.config.is_encoder_decoder:
        # Sequence-to-sequence inputs end with </s>; BART's classifier reads the decoder's state there.
        ids[torch.arange(BATCH), torch.tensor(LENGTHS) - 1] = model.config.eos_token_id
    ids[mask == 0] = pad
    inputs: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
    if model.segment_embeddings:
        types = torch.zeros_like(ids)
        types[:, LENGTH // 2 :] = 1
        inputs["token_type_ids"] = types * mask
    name = type(model).__name__
    if "MultipleChoice" in name:
        inputs = {k: torch.stack([v, v.roll(1, dims=0)], dim=1) for k, v in inputs.items()}  # (b, c, t)
    if not labels and type(model) not in SAMPLING:
        return inputs
    if "LMHead" in name or "CausalLM" in name or "ConditionalGeneration" in name:
        inputs["labels"] = ids.masked_fill(mask == 0, -100)
    elif "ReplacedToken" in name:
        inputs["labels"] = torch.randint(0, 2, (BATCH, LENGTH), generator=g).masked_fill(mask == 0, -100)
    elif "MaskedLM" in name or "PreTraining" in name:
        mlm = torch.full_like(ids, -100)
        for row, length in enumerate(LENGTHS):
            count = 2 if equal_masks else 1 + row
            positions = torch.randperm(length - 1, generator=g)[:count] + 1
            mlm[row, positions] = ids[row, positions]
        inputs["labels"] = mlm
        if "PreTraining" in name and (("Bert" in name and "Roberta" not in name) or "Albert" in name):
            pair_label = "sentence_order_label" if "Albert" in name else "next_sentence_label"
            inputs[pair_label] = torch.randint(0, 2, (BATCH,), generator=g)
    elif "TokenClassification" in name:
        inputs["labels"] = torch.randint(
            0, model.config.num_labels, (BATCH, LENGTH), generator=g
        ).masked_fill(mask == 0, -100)
    elif "QuestionAnswering" in name:
        inputs["start_positions"] = torch.tensor([1, 2, 0])
        inputs["end_positions"] = torch.tensor([3, 5, 2])
    elif "NextSentence" in name or "MultipleChoice" in name:
        inputs["labels"] = torch.randint(0, 2, (BATCH,), generator=g)
    elif "SequenceClassification" in name:
        inputs["labels"] = torch.randint(0, model.config.num_labels, (BATCH,), generator=g)
    return inputs


def _right_padding_mask() -> torch.Tensor:
    mask = torch.zeros(BATCH, LENGTH, dtype=torch.long)
    for row, length in enumerate(LENGTHS):
        mask[row, :length] = 1
    return mask


def _elmo_inputs(model: PreTrainedModel, labels: bool, g: torch.Generator) -> dict:
    """ELMo reads characters: random lowercase words as bilm-tf character ids (b, t, 50)."""
    from hf_ssl.objectives import batch_to_char_ids

    letters = "abcdefghijklmnopqrstuvwxyz"
    words = [
        ["".join(letters[i] for i in torch.randint(0, 26, (int(n),), generator=g).tolist()) for n in sizes]
        for sizes in (torch.randint(1, 8, (length,), generator=g) for length in LENGTHS)
    ]
    inputs: dict[str, Any] = {"input_ids": batch_to_char_ids(words), "attention_mask": _right_padding_mask()}
    name = type(model).__name__
    if not labels:
        return inputs
    if "PreTraining" in name:  # next / previous word over <S> w </S>: (b, t + 2)
        for key in ("forward_labels", "backward_labels"):
            targets = torch.randint(3, VOCAB, (BATCH, LENGTH + 2), generator=g)
            for row, length in enumerate(LENGTHS):
                targets[row, length + 2 :] = -100
            inputs[key] = targets
    elif "TokenClassification" in name:
        inputs["labels"] = torch.randint(0, 3, (BATCH, LENGTH), generator=g).masked_fill(
            inputs["attention_mask"] == 0, -100
        )
    elif "SequenceClassification" in name:
        inputs["labels"] = torch.randint(0, 3, (BATCH,), generator=g)
    return inputs


def _cbow_inputs(model: PreTrainedModel, labels: bool, g: torch.Generator) -> dict:
    """CBOWModel embeds any token rows; CBOWForPreTraining reads context windows (b, 2w) + centres."""
    mask = _right_padding_mask()
    ids = torch.randint(5, VOCAB, (BATCH, LENGTH), generator=g).masked_fill(mask == 0, 0)
    inputs: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
    if "PreTraining" in type(model).__name__:
        inputs["labels"] = torch.randint(5, VOCAB, (BATCH,), generator=g)
        inputs["negative_ids"] = torch.randint(5, VOCAB, (BATCH, model.config.num_negatives), generator=g)
    return inputs


def _taglm_inputs(model: PreTrainedModel, labels: bool, g: torch.Generator) -> dict:
    mask = _right_padding_mask()
    ids = torch.randint(5, VOCAB, (BATCH, LENGTH), generator=g).masked_fill(mask == 0, 0)
    inputs: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
    if labels:
        inputs["labels"] = torch.randint(0, 3, (BATCH, LENGTH), generator=g).masked_fill(mask == 0, -100)
    return inputs


_SPECIAL_INPUTS = {"hf_ssl_elmo": _elmo_inputs, "hf_ssl_cbow": _cbow_inputs, "hf_ssl_taglm": _taglm_inputs}


SAMPLING = {hf_ssl.ElectraForPreTraining}
"""Heads whose forward samples (ELECTRA's generator): they need labels and a seeded call."""


def run(model: PreTrainedModel, inputs: dict) -> Any:
    """Call `model` on `inputs` with the global seed fixed, so sampling heads are repeatable."""
    torch.manual_seed(1234)
    return model(**inputs)


def main_output(output: Any) -> torch.Tensor:
    """The head's principal tensor: logits, prediction logits, start logits or the last hidden state."""
    for key in ("logits", "prediction_logits", "start_logits", "forward_logits", "last_hidden_state"):
        if key in output and output[key] is not None:
            return output[key]
    raise AssertionError(f"no main output among {list(output.keys())}")


def is_token_level(model: PreTrainedModel) -> bool:
    name = type(model).__name__
    if name == "CBOWForPreTraining":  # one centre word per row
        return False
    return any(
        k in name
        for k in (
            "MaskedLM",
            "PreTraining",
            "TokenClassification",
            "QuestionAnswering",
            "ConditionalGeneration",
            "CausalLM",
        )
    ) or (name.endswith("Model"))
