"""`hf-ssl pretrain`: train a tokenizer and a model from scratch on a corpus.

`pretrain` trains the family's tokenizer on the corpus (WordPiece for BERT-style vocabularies,
byte-level BPE for RoBERTa/BART/GPT, a SentencePiece unigram for T5), builds the objective's data,
model and collators (`hf_ssl.recipes.builders`), trains with transformers' Trainer and writes a
loadable directory (safetensors, config, tokenizer, model card, metrics, loss curve) atomically.
"""

from __future__ import annotations

import inspect
import json
import math
import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from transformers import Trainer

from ..data import Document, iter_texts, load_default_corpus, read_documents
from ..data.tokenizers import (
    train_byte_level_bpe_tokenizer,
    train_gpt2_tokenizer,
    train_t5_tokenizer,
    train_wordpiece_tokenizer,
)
from ..hub.model_card import CARD_FILENAME, render_model_card
from ..io import atomic_directory, check_output_directory
from ..models.electra import ElectraForPreTraining
from ..models.registry import FAMILIES, TokenizerTrainer
from ..plots import save_loss_curve
from ..presets import PRESETS, preset
from ..trainer import ComponentLossCallback
from .builders import BUILDERS, PAIR_MODELS
from .common import _training_args, logger
from .settings import PretrainSettings

# Tokenizer trainers by the key a family names: WordPiece for BERT-style vocabularies (ALBERT's
# SentencePiece model cannot be trained offline here; WordPiece stands in), byte-level BPE for RoBERTa
# and BART, GPT-2's BPE for GPT and the prefix LM, a SentencePiece unigram for T5.
# Each trainer takes (texts, vocab_size=..., model_max_length=...) and returns a transformers tokenizer.
_TOKENIZER_TRAINERS: dict[TokenizerTrainer, Callable[..., Any]] = {
    "wordpiece": train_wordpiece_tokenizer,
    "byte_level_bpe": train_byte_level_bpe_tokenizer,
    "gpt2": train_gpt2_tokenizer,
    "t5": train_t5_tokenizer,
}
# The families `hf-ssl pretrain` trains, by command-line name, and the tokenizer trainer of each.
PRETRAINABLE = tuple(spec.cli_name for spec in FAMILIES.values() if spec.pretraining is not None)
TOKENIZERS: dict[str, Callable[..., Any]] = {
    spec.cli_name: _TOKENIZER_TRAINERS[spec.tokenizer]
    for spec in FAMILIES.values()
    if spec.tokenizer is not None
}
DEFAULT_CORPUS_NAME = "moby-dick"  # the card's dataset name for the embedded corpus


def default_output(model: str, preset_name: str) -> str:
    """The directory `hf-ssl pretrain` writes to when given none: runs/<model>-<preset>."""
    return os.path.join("runs", f"{model}-{preset_name}")


# Every name the families' configs give a dropout of the network itself (not of a fine-tuning head).
DROPOUT_FIELDS = (
    "hidden_dropout_prob",
    "attention_probs_dropout_prob",
    "embedding_dropout_prob",
    "dropout",
    "attention_dropout",
    "activation_dropout",
    "dropout_rate",
)


def _tokenize_documents(tokenizer: Any, documents: list[list[str]]) -> list[list[list[int]]]:
    """Token ids of every sentence, still grouped by document (no special tokens). Sentences longer
    than the model's input are expected here (the builders cut and pack them): no warning about it."""
    sentences = [s for document in documents for s in document]
    ids = tokenizer(sentences, add_special_tokens=False, verbose=False)["input_ids"]
    out, start = [], 0
    for document in documents:
        out.append(ids[start : start + len(document)])
        start += len(document)
    return out


def _split(documents: list, fraction: float, seed: int) -> tuple[list, list]:
    """A seeded (training, held-out) split of whole documents; at least 2 are held out."""
    if len(documents) < 4:
        raise ValueError(f"the corpus has {len(documents)} documents; pretraining needs at least 4")
    order = np.random.default_rng(seed).permutation(len(documents))
    held = max(2, int(len(documents) * fraction))
    return [documents[i] for i in order[held:]], [documents[i] for i in order[:held]]


def _fit_tokenizer_to_model(tokenizer: Any, model: Any) -> None:
    """The saved tokenizer speaks the model's language: it names the bos/eos ids the config sets
    (MASS's [CLS]/[SEP], ALBERT's), and emits no `token_type_ids` for a model whose forward takes
    none (which `generate` refuses). Kept by `save_pretrained`."""
    for role in ("bos", "eos"):
        config_id = getattr(model.config, f"{role}_token_id", None)
        if config_id is not None and getattr(tokenizer, f"{role}_token_id") is None:
            setattr(tokenizer, f"{role}_token", tokenizer.convert_ids_to_tokens(config_id))
    if "token_type_ids" not in inspect.signature(model.forward).parameters:
        tokenizer.model_input_names = [n for n in tokenizer.model_input_names if n != "token_type_ids"]
        tokenizer.init_kwargs["model_input_names"] = tokenizer.model_input_names  # what gets saved


def _checked_settings(settings: PretrainSettings) -> tuple[dict[str, Any], dict[str, float]]:
    """The preset's sizes and the dropout fields, once every setting is checked: a mistake is
    reported before the tokenizer trains, not minutes into the run."""
    if settings.model not in PRETRAINABLE:
        raise ValueError(f"model={settings.model!r}; expected one of {PRETRAINABLE}")
    for name in ("vocab_size", "seq_len", "batch_size", "steps"):
        value = getattr(settings, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}={value!r}; expected an integer >= 1")
    rate = settings.learning_rate
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0.0 < rate < math.inf:
        raise ValueError(f"learning_rate={rate!r}; expected a number > 0")
    if not 0.0 < settings.eval_fraction < 1.0:
        raise ValueError(f"eval_fraction={settings.eval_fraction!r}; expected a fraction in (0, 1)")
    name = f"{settings.model}-{settings.preset}"
    if name not in PRESETS:
        sizes = sorted(
            key.removeprefix(f"{settings.model}-") for key in PRESETS if key.startswith(f"{settings.model}-")
        )
        raise ValueError(f"preset={settings.preset!r} for model {settings.model!r}; expected one of {sizes}")
    return preset(name), _dropout_fields(settings.model, settings.dropout)


def _dropout_fields(model: str, dropout: float | None) -> dict[str, float]:
    """The config fields that set `model`'s network dropout to `dropout` (none when None: the
    family's own defaults)."""
    if dropout is None:
        return {}
    if isinstance(dropout, bool) or not isinstance(dropout, int | float) or not 0.0 <= dropout < 1.0:
        raise ValueError(
            f"dropout={dropout!r}; expected a probability in [0, 1), or None for the family's own"
        )
    config_class = next(spec.config_class for spec in FAMILIES.values() if spec.cli_name == model)
    return {name: float(dropout) for name in DROPOUT_FIELDS if hasattr(config_class, name)}


def pretrain(settings: PretrainSettings, *, documents: list[Document] | None = None) -> dict[str, Any]:
    """Train a tokenizer and a model from scratch; return the metrics written to `metrics.json`.

    `documents` replaces the corpus `settings` names (the demo passes the embedded corpus without
    the sentences its downstream task evaluates on).
    """
    preset_sizes, dropout_fields = _checked_settings(settings)  # before any work
    check_output_directory(settings.output, overwrite=settings.overwrite)
    torch.manual_seed(settings.seed)
    if documents is None:
        documents = load_default_corpus() if settings.corpus is None else read_documents(settings.corpus)
    train_documents, eval_documents = _split(documents, settings.eval_fraction, settings.seed)
    logger.info("corpus: %d documents for training, %d held out", len(train_documents), len(eval_documents))

    tokenizer = TOKENIZERS[settings.model](
        iter_texts(train_documents), vocab_size=settings.vocab_size, model_max_length=settings.seq_len
    )
    train_docs = _tokenize_documents(tokenizer, train_documents)
    eval_docs = _tokenize_documents(tokenizer, eval_documents)
    sizes = {
        **preset_sizes,
        "vocab_size": len(tokenizer),
        "pad_token_id": tokenizer.pad_token_id,
        **dropout_fields,
    }
    build = BUILDERS[settings.model]
    train_set, eval_set, model, collator, eval_collator = build(
        settings, tokenizer, train_docs, eval_docs, sizes
    )
    _fit_tokenizer_to_model(tokenizer, model)
    if not train_set or not eval_set:
        raise ValueError(f"the corpus gave {len(train_set)} training and {len(eval_set)} held-out examples")
    logger.info(
        "%d training examples, %d held out; model has %.2fM parameters",
        len(train_set),
        len(eval_set),
        model.num_parameters() / 1e6,
    )

    args = _training_args(
        settings.output,
        max_steps=settings.steps,
        per_device_train_batch_size=settings.batch_size,
        learning_rate=settings.learning_rate,
        warmup_steps=0.06,
        lr_scheduler_type="linear",
        # RoBERTa's Adam (Liu et al. 2019 §3.1), as "Cramming" keeps it: a shorter second-moment
        # memory than BERT's 0.999 keeps a short, high-learning-rate run stable.
        adam_beta2=0.98,
        adam_epsilon=1e-6,
        logging_steps=max(1, settings.steps // 20),
        seed=settings.seed,
        prediction_loss_only=True,
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=train_set,
        data_collator=collator,
        callbacks=[ComponentLossCallback()],
    )
    result = trainer.train()
    trainer.data_collator = eval_collator
    evaluation = trainer.evaluate(eval_dataset=eval_set)  # type: ignore[arg-type]  # a list is a map-style dataset
    metrics = {
        "model": settings.model,
        "parameters": model.num_parameters(),
        "train_loss": result.training_loss,
        "eval_loss": evaluation["eval_loss"],
        "eval_perplexity_bound": math.exp(min(evaluation["eval_loss"], 50.0)),
        **_held_out_mlm_loss(model, eval_set, eval_collator, settings.batch_size),
        "unigram_entropy": _unigram_entropy(train_docs),
        "train_examples": len(train_set),
        "settings": asdict(settings),
    }
    if not trainer.is_world_process_zero():
        return metrics  # under torchrun every rank gets here; two writers would race for the directory
    with atomic_directory(settings.output, overwrite=settings.overwrite) as staging:
        # Written first: save_pretrained keeps a README.md that exists instead of its metric-less card.
        _pretrain_card(model, settings, metrics, len(eval_set)).save(staging / CARD_FILENAME)
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        (staging / "metrics.json").write_text(json.dumps(metrics, indent=2))
        save_loss_curve(
            trainer.state.log_history, staging / "loss_curve.png", title=f"hf-ssl pretrain {settings.model}"
        )
        if isinstance(model, ElectraForPreTraining):
            # ELECTRA fine-tunes the discriminator alone: `hf-ssl finetune --model-dir <output>/discriminator`.
            model.save_discriminator(staging / "discriminator")
            tokenizer.save_pretrained(staging / "discriminator")
    logger.info("wrote %s (eval loss %.3f)", settings.output, metrics["eval_loss"])
    return metrics


def _pretrain_card(
    model: Any, settings: PretrainSettings, metrics: dict[str, Any], eval_examples: int
) -> Any:
    """The model card of a pretraining run: its corpus, settings and held-out metrics."""
    corpus = Path(settings.corpus).name if settings.corpus else DEFAULT_CORPUS_NAME
    source = (
        f"`{corpus}`"
        if settings.corpus
        else "the *Moby-Dick* corpus embedded in hf_ssl (hf_ssl/data/corpora), one document per paragraph"
    )
    training_data = (
        f"Pretrained from scratch with `hf-ssl pretrain` on {source}; "
        f"{settings.eval_fraction:.0%} of the documents held out for evaluation "
        f"({metrics['train_examples']} training and {eval_examples} held-out examples). "
        f"A {TOKENIZERS[settings.model].__name__.removeprefix('train_').removesuffix('_tokenizer')} "
        f"tokenizer trained on the same documents ({model.config.vocab_size} tokens).\n\n"
        "| setting | value |\n|---|---|\n"
        f"| preset | `{settings.model}-{settings.preset}` ({metrics['parameters'] / 1e6:.2f}M parameters) |\n"
        f"| sequence length | {settings.seq_len} |\n"
        f"| batch size | {settings.batch_size} |\n"
        f"| steps | {settings.steps} |\n"
        f"| peak learning rate | {settings.learning_rate:g} (AdamW β2 0.98, 6% warm-up, linear decay) |\n"
        f"| dropout in pretraining | {'the family default' if settings.dropout is None else settings.dropout} |\n"
        f"| seed | {settings.seed} |\n"
        f"| final training loss | {metrics['train_loss']:.4g} |\n"
        f"| unigram entropy of the corpus (nats) | {metrics['unigram_entropy']:.4g} |"
    )
    return render_model_card(
        model,
        model_name=Path(settings.output).name,
        training_data=training_data,
        metrics={k: metrics[k] for k in ("eval_loss", "eval_perplexity_bound")},
        datasets=[corpus],
    )


def _held_out_mlm_loss(model: Any, eval_set: list[dict], collator: Any, batch_size: int) -> dict[str, float]:
    """{"eval_mlm_loss": nats per masked token} on the held-out examples, for models trained with a
    second loss beside MLM (BERT's NSP, ALBERT's SOP), whose `eval_loss` is the sum; {} otherwise.
    Compare it with `unigram_entropy`: a model that has learnt nothing from context scores that."""
    if not isinstance(model, tuple(model_class for _, model_class in PAIR_MODELS.values())):
        return {}
    model = cast(Any, model)
    total, count = 0.0, 0
    model.eval()
    with torch.no_grad():
        for start in range(0, len(eval_set), batch_size):
            batch = collator(eval_set[start : start + batch_size])
            batch = {k: v.to(model.device) for k, v in batch.items()}
            masked = int(batch["labels"].ne(-100).sum())
            if masked:
                total += float(model(**batch).mlm_loss) * masked
                count += masked
    return {"eval_mlm_loss": total / count} if count else {}


def _unigram_entropy(docs: list[list[list[int]]]) -> float:
    """Entropy (nats) of the corpus's token distribution: the loss of a model that ignores context."""
    counts = np.bincount(np.fromiter((t for d in docs for s in d for t in s), dtype=np.int64))
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())
