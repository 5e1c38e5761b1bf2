"""End-to-end recipes behind the `hf-ssl` command: pretrain on a corpus, fine-tune on labelled files.

`pretrain` trains a tokenizer on the corpus (WordPiece for BERT, byte-level BPE for RoBERTa), builds
the model's pretraining data (BERT: MLM + NSP pairs as google-research/bert's
create_pretraining_data; ALBERT: MLM + sentence-order pairs; ELECTRA: replaced-token detection over
contiguous blocks; RoBERTa: FULL-SENTENCES blocks with dynamic MLM, Liu et al. 2019 §4.2),
trains with transformers' Trainer and writes a loadable directory (safetensors, config, tokenizer)
atomically. `finetune` loads such a directory with AutoModelForSequenceClassification.
"""

from __future__ import annotations

import json
import logging
import math
import os
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
    default_data_collator,
)

from .data import iter_texts, load_default_corpus, read_documents
from .data.tokenizers import train_byte_level_bpe_tokenizer, train_gpt2_tokenizer, train_wordpiece_tokenizer
from .hub.model_card import CARD_FILENAME, render_model_card
from .io import atomic_directory
from .models.albert import AlbertConfig, AlbertForPreTraining
from .models.bert import BertConfig, BertForPreTraining
from .models.electra import ElectraConfig, ElectraForPreTraining
from .models.gpt import GPTConfig, GPTLMHeadModel, GPTPreTrainedModel
from .models.roberta import RobertaConfig, RobertaForMaskedLM
from .objectives import (
    CausalLMCollator,
    GPTTaskCollator,
    MaskedLMCollator,
    SentencePairCollator,
    build_sentence_pair_examples,
)
from .presets import preset
from .training import ComponentLossCallback

logger = logging.getLogger(__name__)

PRETRAINABLE = ("bert", "roberta", "albert", "electra", "gpt")
# Tokenizer per family: WordPiece for BERT-style vocabularies (ALBERT's SentencePiece model cannot be
# trained offline here; WordPiece stands in), byte-level BPE for RoBERTa and GPT.
TOKENIZERS = {
    "bert": train_wordpiece_tokenizer,
    "albert": train_wordpiece_tokenizer,
    "electra": train_wordpiece_tokenizer,
    "roberta": train_byte_level_bpe_tokenizer,
    "gpt": train_gpt2_tokenizer,
}
# Sentence-pair objective of the pair-trained families: BERT's NSP, ALBERT's sentence-order prediction.
PAIR_TASKS: dict[str, Literal["nsp", "sop"]] = {"bert": "nsp", "albert": "sop"}
PAIR_MODELS: dict[str, tuple[type, type]] = {
    "bert": (BertConfig, BertForPreTraining),
    "albert": (AlbertConfig, AlbertForPreTraining),
}
DEFAULT_CORPUS_NAME = "moby-dick"  # the card's dataset name for the embedded corpus
MAX_DUPES = 10  # BERT's dupe_factor: distinct NSP passes over the corpus


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


def _tokenize_documents(tokenizer: Any, documents: list[list[str]]) -> list[list[list[int]]]:
    sentences = [s for document in documents for s in document]
    ids = tokenizer(sentences, add_special_tokens=False)["input_ids"]
    out, start = [], 0
    for document in documents:
        out.append(ids[start : start + len(document)])
        start += len(document)
    return out


def _pair_examples(
    task: Literal["nsp", "sop"],
    tokenizer: Any,
    docs: list[list[list[int]]],
    seq_len: int,
    needed: int,
    seed: int,
) -> list[dict]:
    examples: list[dict] = []
    for dupe in range(MAX_DUPES):
        examples += build_sentence_pair_examples(
            docs,
            task=task,
            max_length=seq_len,
            cls_token_id=tokenizer.cls_token_id,
            sep_token_id=tokenizer.sep_token_id,
            seed=seed * MAX_DUPES + dupe,
        )
        if len(examples) >= needed:
            break
    return examples


def _full_sentence_blocks(tokenizer: Any, docs: list[list[list[int]]], seq_len: int) -> list[dict]:
    """RoBERTa's FULL-SENTENCES: contiguous text across document boundaries (an extra </s> between them)."""
    stream: list[int] = []
    for document in docs:
        for sentence in document:
            stream.extend(sentence)
        stream.append(tokenizer.sep_token_id)
    body = seq_len - 2
    return [
        {"input_ids": [tokenizer.cls_token_id, *stream[i : i + body], tokenizer.sep_token_id]}
        for i in range(0, len(stream) - body + 1, body)
    ]


def _split(documents: list, fraction: float, seed: int) -> tuple[list, list]:
    if len(documents) < 4:
        raise ValueError(f"the corpus has {len(documents)} documents; pretraining needs at least 4")
    order = np.random.default_rng(seed).permutation(len(documents))
    held = max(2, int(len(documents) * fraction))
    return [documents[i] for i in order[held:]], [documents[i] for i in order[:held]]


def _training_args(output: str, **kwargs: Any) -> TrainingArguments:
    return TrainingArguments(
        output_dir=output,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        dataloader_num_workers=0,
        logging_first_step=True,
        per_device_eval_batch_size=64,
        weight_decay=0.01,
        **kwargs,
    )


Built = tuple[list[dict], list[dict], Any, Any, Any]  # train set, eval set, model, collators


def _build_pair(
    settings: PretrainSettings, tokenizer: Any, train_docs: Any, eval_docs: Any, sizes: dict
) -> Built:
    """BERT (MLM + NSP) and ALBERT (MLM + SOP): sentence pairs as create_pretraining_data builds them."""
    task = PAIR_TASKS[settings.model]
    needed = settings.steps * settings.batch_size
    train_set = _pair_examples(task, tokenizer, train_docs, settings.seq_len, needed, settings.seed)
    eval_set = _pair_examples(task, tokenizer, eval_docs, settings.seq_len, 0, settings.seed + 1)
    config_class, model_class = PAIR_MODELS[settings.model]
    model = model_class(config_class(**sizes, max_position_embeddings=max(128, settings.seq_len)))
    collators = [SentencePairCollator.from_tokenizer(tokenizer, seed=settings.seed + i) for i in (0, 1)]
    return train_set, eval_set, model, *collators


def _build_mlm(
    settings: PretrainSettings, tokenizer: Any, train_docs: Any, eval_docs: Any, sizes: dict
) -> Built:
    """RoBERTa (dynamic MLM) and ELECTRA (replaced-token detection) over contiguous blocks."""
    train_set = _full_sentence_blocks(tokenizer, train_docs, settings.seq_len)
    eval_set = _full_sentence_blocks(tokenizer, eval_docs, settings.seq_len)
    masking: dict[str, float] = {}
    model: Any
    if settings.model == "roberta":
        model = RobertaForMaskedLM(
            RobertaConfig(
                **sizes,
                bos_token_id=tokenizer.cls_token_id,
                eos_token_id=tokenizer.sep_token_id,
                max_position_embeddings=settings.seq_len + tokenizer.pad_token_id + 1,
            )
        )
    else:
        model = ElectraForPreTraining(
            ElectraConfig(**sizes, max_position_embeddings=max(128, settings.seq_len))
        )
        # ELECTRA masks 85% / keeps 15% of the selected tokens, with no random replacement
        # (pretrain_helpers.py:201-205); the generator provides the replacements.
        masking = {"mask_replace_prob": 0.85, "random_replace_prob": 0.0}
    collators = [
        MaskedLMCollator.from_tokenizer(tokenizer, seed=settings.seed + i, **masking) for i in (0, 1)
    ]
    return train_set, eval_set, model, *collators


def _build_causal(
    settings: PretrainSettings, tokenizer: Any, train_docs: Any, eval_docs: Any, sizes: dict
) -> Built:
    """GPT: documents packed into full rows, <|endoftext|> between them, no attention across them."""
    packer = CausalLMCollator(
        pad_token_id=tokenizer.eos_token_id, pack_length=settings.seq_len, eos_token_id=tokenizer.eos_token_id
    )

    def rows(docs: Any) -> list[dict]:
        packed = packer([[t for sentence in doc for t in sentence] for doc in docs])
        return [{k: v[i] for k, v in packed.items()} for i in range(len(packed["input_ids"]))]

    context = max(sizes.pop("max_position_embeddings", 0), settings.seq_len)
    model = GPTLMHeadModel(
        GPTConfig(
            **sizes,
            max_position_embeddings=context,
            bos_token_id=tokenizer.eos_token_id,
            eos_token_id=tokenizer.eos_token_id,
        )
    )
    return rows(train_docs), rows(eval_docs), model, default_data_collator, default_data_collator


def pretrain(settings: PretrainSettings) -> dict[str, Any]:
    """Train a tokenizer and a model from scratch; return the metrics written to `metrics.json`."""
    if settings.model not in PRETRAINABLE:
        raise ValueError(f"model={settings.model!r}; expected one of {PRETRAINABLE}")
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
    build = (
        _build_pair
        if settings.model in PAIR_TASKS
        else _build_causal
        if settings.model == "gpt"
        else _build_mlm
    )
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
    evaluation = trainer.evaluate(eval_dataset=eval_set)
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
    with atomic_directory(settings.output) as staging:
        # Written first: save_pretrained keeps a README.md that exists instead of its metric-less card.
        _pretrain_card(model, settings, metrics, len(eval_set)).save(staging / CARD_FILENAME)
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        (staging / "metrics.json").write_text(json.dumps(metrics, indent=2))
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


def _load_table(path: str) -> Any:
    from datasets import load_dataset

    suffix = Path(path).suffix.lower()
    kinds = {".csv": "csv", ".tsv": "csv", ".jsonl": "json", ".json": "json"}
    if not Path(path).is_file():
        raise FileNotFoundError(f"no such file: {path}")
    if suffix not in kinds:
        raise ValueError(f"{path}: unsupported suffix {suffix!r}; expected one of {sorted(kinds)}")
    extra = {"delimiter": "\t"} if suffix == ".tsv" else {}
    return load_dataset(kinds[suffix], data_files=path, split="train", **extra)


def finetune(settings: FinetuneSettings) -> dict[str, Any]:
    """Fine-tune a pretrained directory on labelled files; return dev accuracy and loss."""
    train, dev = _load_table(settings.train_file), _load_table(settings.eval_file)
    for name, table in (("train", train), ("eval", dev)):
        needed = [settings.text_column, settings.label_column] + (
            [settings.text_pair_column] if settings.text_pair_column else []
        )
        missing = [c for c in needed if c not in table.column_names]
        if missing:
            raise ValueError(f"{name} file lacks column(s) {missing}; it has {table.column_names}")
    labels = sorted({str(x) for x in train[settings.label_column]})
    label2id = {label: i for i, label in enumerate(labels)}
    unknown = sorted({str(x) for x in dev[settings.label_column]} - set(labels))
    if unknown:
        raise ValueError(f"eval labels {unknown} never occur in the training file (labels: {labels})")

    tokenizer = AutoTokenizer.from_pretrained(settings.model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(
        settings.model_dir, num_labels=len(labels), id2label=dict(enumerate(labels)), label2id=label2id
    )

    collator: Any = DataCollatorWithPadding(tokenizer)
    is_gpt = isinstance(model, GPTPreTrainedModel)
    if is_gpt:
        # GPT-1 §3.3: frame the text as [start] text [extract] (or [start] A [delim] B [extract]),
        # with the three task tokens added to the vocabulary; the auxiliary LM loss rides along.
        task = "entailment" if settings.text_pair_column else "classification"
        collator = GPTTaskCollator.from_tokenizer(tokenizer, task, max_length=settings.max_length)
        model.resize_token_embeddings(len(tokenizer))

    def encode(batch: dict[str, list]) -> dict[str, list]:
        pair = batch[settings.text_pair_column] if settings.text_pair_column else None
        labels_ = [label2id[str(x)] for x in batch[settings.label_column]]
        if is_gpt:
            plain = {"add_special_tokens": False, "truncation": True, "max_length": settings.max_length}
            encoded = {
                "input_ids": tokenizer(batch[settings.text_column], **plain)["input_ids"],
                "labels": labels_,
            }
            if pair is not None:
                encoded["pair_ids"] = tokenizer(pair, **plain)["input_ids"]
            return encoded
        encoded = tokenizer(
            batch[settings.text_column], pair, truncation=True, max_length=settings.max_length
        )
        encoded["labels"] = labels_
        return encoded

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
    with atomic_directory(settings.output) as staging:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        (staging / "metrics.json").write_text(json.dumps(metrics, indent=2))
    logger.info("dev accuracy %.3f; wrote %s", metrics["accuracy"], settings.output)
    return metrics


def default_output(model: str, preset_name: str) -> str:
    return os.path.join("runs", f"{model}-{preset_name}")
