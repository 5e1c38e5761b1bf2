"""End-to-end recipes behind the `hf-ssl` command: pretrain on a corpus, fine-tune and evaluate on
labelled files.

`pretrain` trains the family's tokenizer on the corpus (WordPiece for BERT-style vocabularies,
byte-level BPE for RoBERTa/BART/GPT, a SentencePiece unigram for T5), builds the objective's data,
model and collators (`hf_ssl.pretraining`), trains with transformers' Trainer and writes a loadable
directory (safetensors, config, tokenizer, metrics, loss curve) atomically. `finetune` loads such a
directory with AutoModelForSequenceClassification; `evaluate_classifier` scores the result.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    Trainer,
    TrainingArguments,
)

from .data import iter_texts, load_default_corpus, read_documents
from .data.tokenizers import (
    train_byte_level_bpe_tokenizer,
    train_gpt2_tokenizer,
    train_t5_tokenizer,
    train_wordpiece_tokenizer,
)
from .hub.model_card import CARD_FILENAME, render_model_card
from .io import atomic_directory, check_output_directory
from .models.electra import ElectraForPreTraining
from .models.gpt import GPTPreTrainedModel
from .models.registry import FAMILIES, TokenizerTrainer, check_known_family
from .objectives import (
    GPTTaskCollator,
)
from .plots import save_loss_curve
from .presets import preset
from .pretraining import BUILDERS
from .training import ComponentLossCallback

logger = logging.getLogger(__name__)

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


@dataclass
class PretrainSettings:
    """Everything `pretrain` needs; defaults train a tiny model in a few minutes on 2 CPU cores."""

    model: str = "bert"
    preset: str = "tiny"
    corpus: str | None = None
    output: str = "runs/bert-tiny"
    vocab_size: int = 8000
    seq_len: int = 64
    batch_size: int = 32
    steps: int = 600
    learning_rate: float = 1e-3
    seed: int = 0
    eval_fraction: float = 0.05
    overwrite: bool = False  # write into a non-empty output (its other files are kept)


def _tokenize_documents(tokenizer: Any, documents: list[list[str]]) -> list[list[list[int]]]:
    sentences = [s for document in documents for s in document]
    ids = tokenizer(sentences, add_special_tokens=False)["input_ids"]
    out, start = [], 0
    for document in documents:
        out.append(ids[start : start + len(document)])
        start += len(document)
    return out


def _split(documents: list, fraction: float, seed: int) -> tuple[list, list]:
    if len(documents) < 4:
        raise ValueError(f"the corpus has {len(documents)} documents; pretraining needs at least 4")
    order = np.random.default_rng(seed).permutation(len(documents))
    held = max(2, int(len(documents) * fraction))
    return [documents[i] for i in order[held:]], [documents[i] for i in order[:held]]


def device_arguments() -> dict[str, Any]:
    """CUDA when there is a GPU (one per process under torchrun), the CPU otherwise."""
    return {"use_cpu": not torch.cuda.is_available()}


def _training_args(output: str, **kwargs: Any) -> TrainingArguments:
    defaults: dict[str, Any] = {
        "report_to": [],
        "save_strategy": "no",
        **device_arguments(),
        "dataloader_num_workers": 0,
        "logging_first_step": True,
        "per_device_eval_batch_size": 64,
        "weight_decay": 0.01,
    }
    return TrainingArguments(output_dir=output, **{**defaults, **kwargs})


def pretrain(settings: PretrainSettings) -> dict[str, Any]:
    """Train a tokenizer and a model from scratch; return the metrics written to `metrics.json`."""
    if settings.model not in PRETRAINABLE:
        raise ValueError(f"model={settings.model!r}; expected one of {PRETRAINABLE}")
    if isinstance(settings.steps, bool) or not isinstance(settings.steps, int) or settings.steps < 1:
        raise ValueError(f"steps={settings.steps!r}; expected an integer >= 1")
    check_output_directory(settings.output, overwrite=settings.overwrite)
    torch.manual_seed(settings.seed)
    documents = load_default_corpus() if settings.corpus is None else read_documents(settings.corpus)
    train_documents, eval_documents = _split(documents, settings.eval_fraction, settings.seed)
    logger.info("corpus: %d documents for training, %d held out", len(train_documents), len(eval_documents))

    tokenizer = TOKENIZERS[settings.model](
        iter_texts(train_documents), vocab_size=settings.vocab_size, model_max_length=settings.seq_len
    )
    train_docs = _tokenize_documents(tokenizer, train_documents)
    eval_docs = _tokenize_documents(tokenizer, eval_documents)
    sizes = {
        **preset(f"{settings.model}-{settings.preset}"),
        "vocab_size": len(tokenizer),
        "pad_token_id": tokenizer.pad_token_id,
    }
    build = BUILDERS[settings.model]
    train_set, eval_set, model, collator, eval_collator = build(
        settings, tokenizer, train_docs, eval_docs, sizes
    )
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
        f"| peak learning rate | {settings.learning_rate:g} (AdamW, 6% warm-up, linear decay) |\n"
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


def _unigram_entropy(docs: list[list[list[int]]]) -> float:
    """Entropy (nats) of the corpus's token distribution: the loss of a model that ignores context."""
    counts = np.bincount(np.fromiter((t for d in docs for s in d for t in s), dtype=np.int64))
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


@dataclass
class FinetuneSettings:
    """Sequence classification from CSV or JSONL files (columns: text [, text_pair], label)."""

    model_dir: str = "runs/bert-tiny"
    train_file: str = ""
    eval_file: str = ""
    output: str = "runs/bert-tiny-finetuned"
    text_column: str = "text"
    text_pair_column: str | None = None
    label_column: str = "label"
    epochs: float = 3.0
    batch_size: int = 32
    learning_rate: float = 3e-4
    max_length: int = 64
    seed: int = 0
    overwrite: bool = False  # write into a non-empty output (its other files are kept)


def _load_table(path: str) -> Any:
    from datasets import load_dataset

    suffix = Path(path).suffix.lower()
    kinds = {".csv": "csv", ".tsv": "csv", ".jsonl": "json", ".json": "json"}
    if not Path(path).is_file():
        raise FileNotFoundError(f"no such file: {path}")
    if suffix not in kinds:
        raise ValueError(f"{path}: unsupported suffix {suffix!r}; expected one of {sorted(kinds)}")
    extra = {"delimiter": "\t"} if suffix == ".tsv" else {}
    try:
        table = load_dataset(kinds[suffix], data_files=path, split="train", **extra)
    except Exception as error:  # datasets wraps the parser's error: name the file and the cause
        raise ValueError(f"{path}: {_table_problem(error, suffix)}") from error
    if any(column.startswith("__index_level_") for column in table.column_names):
        header = [c for c in table.column_names if not c.startswith("__index_level_")]
        raise ValueError(
            f"{path}: some rows have more fields than the header {header}; quote text that holds the delimiter"
        )
    return table


def _table_problem(error: BaseException, suffix: str) -> str:
    """What went wrong reading a table, from the innermost cause of `datasets`' wrapped error."""
    chain = [error]
    while (chain[-1].__cause__ or chain[-1].__context__) is not None and len(chain) < 20:
        chain.append(chain[-1].__cause__ or chain[-1].__context__)  # type: ignore[arg-type]
    cause = chain[-1]
    if any(isinstance(e, UnicodeDecodeError) or "Invalid UTF8" in str(e) for e in chain):
        return "not UTF-8 text; re-save the file as UTF-8"
    message = str(cause) or str(error)
    if "No columns to parse" in message:
        return "the file is empty; expected a header line (e.g. text,label) and one row per example"
    if "corresponds to no data" in message:
        return "the file has no rows; expected one row per example under its header"
    return f"not a readable {suffix.lstrip('.').upper()} file ({type(cause).__name__}: {message})"


def finetune(settings: FinetuneSettings) -> dict[str, Any]:
    """Fine-tune a pretrained directory on labelled files; return dev accuracy and loss."""
    if not settings.epochs > 0:
        raise ValueError(f"epochs={settings.epochs!r}; expected a number > 0")
    check_output_directory(settings.output, overwrite=settings.overwrite)
    train, dev = _load_table(settings.train_file), _load_table(settings.eval_file)
    for name, table in (("train", train), ("eval", dev)):
        needed = [settings.text_column, settings.label_column] + (
            [settings.text_pair_column] if settings.text_pair_column else []
        )
        missing = [c for c in needed if c not in table.column_names]
        if missing:
            raise ValueError(f"{name} file lacks column(s) {missing}; it has {table.column_names}")
        for row, label in enumerate(table[settings.label_column]):
            if label is None or str(label).strip() == "":
                path = settings.train_file if name == "train" else settings.eval_file
                raise ValueError(
                    f"{path}: row {row + 1} has an empty {settings.label_column!r} cell; every row needs a label"
                )
    labels = sorted({str(x) for x in train[settings.label_column]})
    label2id = {label: i for i, label in enumerate(labels)}
    unknown = sorted({str(x) for x in dev[settings.label_column]} - set(labels))
    if unknown:
        raise ValueError(f"eval labels {unknown} never occur in the training file (labels: {labels})")

    check_known_family(settings.model_dir)
    tokenizer = AutoTokenizer.from_pretrained(settings.model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(
        settings.model_dir, num_labels=len(labels), id2label=dict(enumerate(labels)), label2id=label2id
    )

    collator, is_gpt = _classification_collator(
        model, tokenizer, settings.text_pair_column, settings.max_length
    )
    encode = _classification_encoder(
        tokenizer,
        label2id,
        is_gpt,
        text_column=settings.text_column,
        text_pair_column=settings.text_pair_column,
        label_column=settings.label_column,
        max_length=settings.max_length,
    )

    columns = train.column_names
    train = train.map(encode, batched=True, remove_columns=columns)
    dev = dev.map(encode, batched=True, remove_columns=dev.column_names)

    def accuracy(prediction: Any) -> dict[str, float]:
        # Heads with extra outputs (GPT's separate task and LM losses) give a tuple: logits come first.
        logits = prediction.predictions
        logits = logits[0] if isinstance(logits, tuple) else logits
        return {"accuracy": float((np.argmax(logits, -1) == prediction.label_ids).mean())}

    args = _training_args(
        settings.output,
        num_train_epochs=settings.epochs,
        per_device_train_batch_size=settings.batch_size,
        learning_rate=settings.learning_rate,
        warmup_steps=0.1,
        eval_strategy="epoch",
        logging_strategy="epoch",
        seed=settings.seed,
        # GPT's collator reads pair_ids, which no forward argument names: keep every column.
        remove_unused_columns=not is_gpt,
        label_names=["labels"],
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=train,
        eval_dataset=dev,
        data_collator=collator,
        compute_metrics=accuracy,
    )
    trainer.train()
    evaluation = trainer.evaluate()
    metrics = {
        "accuracy": evaluation["eval_accuracy"],
        "eval_loss": evaluation["eval_loss"],
        "labels": labels,
        "train_examples": len(train),
        "eval_examples": len(dev),
    }
    if not trainer.is_world_process_zero():
        return metrics  # under torchrun every rank gets here; two writers would race for the directory
    with atomic_directory(settings.output, overwrite=settings.overwrite) as staging:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        (staging / "metrics.json").write_text(json.dumps(metrics, indent=2))
    logger.info("dev accuracy %.3f; wrote %s", metrics["accuracy"], settings.output)
    return metrics


def _classification_collator(
    model: Any, tokenizer: Any, text_pair_column: str | None, max_length: int
) -> tuple[Any, bool]:
    """Padding for encoders; GPT-1's task framing (§3.3) for GPT classifiers: [start] text [extract],
    or [start] A [delim] B [extract], with the three task tokens added to the vocabulary."""
    if not isinstance(model, GPTPreTrainedModel):
        return DataCollatorWithPadding(tokenizer), False
    task: Literal["entailment", "classification"] = "entailment" if text_pair_column else "classification"
    collator = GPTTaskCollator.from_tokenizer(tokenizer, task, max_length=max_length)
    model.resize_token_embeddings(len(tokenizer))
    return collator, True


def _classification_encoder(
    tokenizer: Any,
    label2id: dict[str, int],
    is_gpt: bool,
    *,
    text_column: str,
    text_pair_column: str | None,
    label_column: str,
    max_length: int,
) -> Any:
    """A `datasets.map` function: texts (and pairs) to ids, labels to their indices."""

    def encode(batch: dict[str, list]) -> dict[str, list]:
        pair = batch[text_pair_column] if text_pair_column else None
        labels_ = [label2id[str(x)] for x in batch[label_column]]
        if is_gpt:
            plain = {"add_special_tokens": False, "truncation": True, "max_length": max_length}
            encoded = {"input_ids": tokenizer(batch[text_column], **plain)["input_ids"], "labels": labels_}
            if pair is not None:
                encoded["pair_ids"] = tokenizer(pair, **plain)["input_ids"]
            return encoded
        encoded = tokenizer(batch[text_column], pair, truncation=True, max_length=max_length)
        encoded["labels"] = labels_
        return encoded

    return encode


def evaluate_classifier(
    model_dir: str,
    eval_file: str,
    *,
    text_column: str = "text",
    text_pair_column: str | None = None,
    label_column: str = "label",
    task: str | None = None,
    batch_size: int = 64,
    max_length: int = 128,
) -> dict[str, Any]:
    """Score a fine-tuned sequence classifier (`hf-ssl finetune` output) on a labelled file, offline:
    accuracy and macro F1, or a GLUE task's own metrics (`task="mrpc"`, ...) via hf_ssl.metrics."""
    from .metrics import compute_classification_metrics

    table = _load_table(eval_file)
    needed = [text_column, label_column] + ([text_pair_column] if text_pair_column else [])
    missing = [c for c in needed if c not in table.column_names]
    if missing:
        raise ValueError(f"{eval_file} lacks column(s) {missing}; it has {table.column_names}")
    check_known_family(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir)
    label2id = {str(k): int(v) for k, v in (model.config.label2id or {}).items()}
    unknown = sorted({str(x) for x in table[label_column]} - set(label2id))
    if unknown:
        raise ValueError(f"labels {unknown} of {eval_file} are not among the model's {sorted(label2id)}")
    collator, is_gpt = _classification_collator(model, tokenizer, text_pair_column, max_length)
    encode = _classification_encoder(
        tokenizer,
        label2id,
        is_gpt,
        text_column=text_column,
        text_pair_column=text_pair_column,
        label_column=label_column,
        max_length=max_length,
    )
    dataset = table.map(encode, batched=True, remove_columns=table.column_names)
    with tempfile.TemporaryDirectory(prefix="hf-ssl-evaluate-") as scratch:
        args = _training_args(
            scratch,
            per_device_eval_batch_size=batch_size,
            remove_unused_columns=not is_gpt,
            label_names=["labels"],
        )
        trainer = Trainer(
            model=model,
            args=args,
            data_collator=collator,
            compute_metrics=compute_classification_metrics(task),
        )
        result = trainer.evaluate(eval_dataset=dataset)
    metrics = {
        k.removeprefix("eval_"): v for k, v in result.items() if not k.endswith(("runtime", "per_second"))
    }
    return {**metrics, "examples": len(dataset), "model_dir": model_dir, "eval_file": eval_file}


def default_output(model: str, preset_name: str) -> str:
    return os.path.join("runs", f"{model}-{preset_name}")
