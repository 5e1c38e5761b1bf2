"""Claim 1: fine-tuning from MLM-pretrained weights beats the same model from scratch.

The lecture's fine-tune vs scratch curves in miniature: a tiny BERT (preset `bert-tiny`,
L2/H128/A2/FFN512) is pretrained with masked-LM only (BERT §3.1 masking through
`hf_ssl.MaskedLMCollator`, transformers' Trainer) on the embedded corpus, then fine-tuned with
`BertForSequenceClassification` on sentence mood (statement / question / exclamation with the final
punctuation removed, `hf_ssl.data.tasks.sentence_mood_examples`) at two labelled-data sizes. The
scratch arm is the identical model, initialised randomly, trained on the same subset in the same
batch order with the same fine-tuning seed (paired design, project notes on reproductions §16.0 and
§16.a; the pilot in §15.a reproduced the effect on WordNet glosses).

Held-out hygiene: every dev and test sentence of the task is removed from the pretraining text and
from the tokenizer's training text; training sentences stay (they are the unlabelled in-domain text
BERT-style pretraining is allowed to see, and both arms get their labels anyway).

Run the full tier by hand (about 10-15 minutes on one core):

    python -m benchmarks.reproductions.finetune_vs_scratch --tier full

It writes `results/finetune_vs_scratch.json` (every number, versions) and `.png` (dev loss and
accuracy curves of both arms at both sizes, mean and min-max band over seeds). The smoke tier is
what tests/reproductions/test_finetune_vs_scratch.py runs.
"""

from __future__ import annotations

import argparse
import logging
import math
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import DataCollatorWithPadding, Trainer, TrainingArguments
from transformers.utils import logging as hf_logging

from benchmarks.reproductions import protocol
from hf_ssl import BertConfig, BertForMaskedLM, BertForSequenceClassification, MaskedLMCollator
from hf_ssl.data import iter_texts, load_default_corpus, train_wordpiece_tokenizer
from hf_ssl.data.tasks import MOODS, sentence_mood_examples
from hf_ssl.metrics import compute_classification_metrics
from hf_ssl.presets import preset
from hf_ssl.recipes import PretrainSettings

logger = logging.getLogger(__name__)

RESULTS = Path(__file__).parent / "results"
LABELS = sorted(MOODS.values())
DATA_SEED = 0  # fixes the task split and the labelled subsets: identical for every arm and seed

# ---- Pre-registered before the full run (never edited after it) ------------------------------
# Claim: "ends better": mean paired test-accuracy gain (pretrained - scratch, points) over
# pretraining seeds >= ACC_THRESHOLD with the 95% t-interval above 0, at BOTH labelled sizes.
ACC_THRESHOLD = 3.0
# Claim: "converges faster": the pretrained arm reaches scratch's final dev loss within this
# fraction of the fine-tuning steps (median over all seed pairs), at both sizes.
STEP_RATIO_THRESHOLD = 0.6
# Sanity gate (a failure invalidates the run): held-out MLM loss <= corpus unigram entropy - margin.
MLM_GATE_MARGIN = 0.3
# Sanity gate: no fine-tuned head predicts one class for more than this share of the test set.
MAX_CLASS_RATE = 0.8
# -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tier:
    """Sizes and schedules of one run; `FULL` follows §16.a, shrunk to fit the embedded corpus."""

    name: str
    pretrain_steps: int
    pretrain_batch: int
    seq_len: int
    pretrain_lr: float
    vocab_size: int
    pretrain_seeds: tuple[int, ...]
    finetune_seeds: tuple[int, ...]
    train_sizes: tuple[int, ...]
    epochs: tuple[float, ...]  # one per train size: fewer examples get more epochs (§16.a)
    dev_size: int
    test_size: int
    finetune_lr: float = 3e-4
    finetune_batch: int = 32
    evals_per_run: int = 10
    model_overrides: tuple[tuple[str, int], ...] = ()
    max_documents: int | None = None
    dropout: float | None = None  # the network's dropout (both arms, pretraining and fine-tuning)


# The full tier pretrains with `hf-ssl pretrain`'s defaults (steps, batch, row length, learning rate,
# vocabulary, dropout), so it tests the recipe the main job uses, with MLM alone as §16.a specifies.
_DEFAULT = PretrainSettings()
FULL = Tier(
    name="full",
    pretrain_steps=_DEFAULT.steps,
    pretrain_batch=_DEFAULT.batch_size,
    seq_len=_DEFAULT.seq_len,
    pretrain_lr=_DEFAULT.learning_rate,
    vocab_size=_DEFAULT.vocab_size,
    dropout=_DEFAULT.dropout,
    pretrain_seeds=(0, 1, 2),
    finetune_seeds=(0, 1),
    train_sizes=(250, 1000),
    epochs=(10.0, 5.0),
    dev_size=400,
    test_size=500,
)
SMOKE = Tier(
    name="smoke",
    pretrain_steps=30,
    pretrain_batch=16,
    seq_len=32,
    pretrain_lr=1e-3,
    vocab_size=300,
    pretrain_seeds=(0, 1),
    finetune_seeds=(0,),
    train_sizes=(32, 64),
    epochs=(2.0, 1.0),
    dev_size=48,
    test_size=48,
    evals_per_run=2,
    model_overrides=(("hidden_size", 32), ("intermediate_size", 64), ("num_hidden_layers", 1)),
    max_documents=400,
)
TIERS = {tier.name: tier for tier in (FULL, SMOKE)}


@dataclass
class TaskData:
    """The task split and the pretraining text with dev/test sentences removed."""

    train_pool: list[dict[str, str]]
    dev: list[dict[str, str]]
    test: list[dict[str, str]]
    pretrain_documents: list[list[str]]
    removed_sentences: int


def _strip(sentence: str) -> str:
    return sentence.strip().strip("\"'“‘ ")


def _first_word(text: str) -> str:
    return text.split(maxsplit=1)[0] if text.strip() else ""


def build_data(tier: Tier) -> TaskData:
    """Split the mood task (test, dev, train pool) and drop dev/test sentences from pretraining."""
    documents = load_default_corpus()
    if tier.max_documents is not None:
        documents = documents[: tier.max_documents]
    examples = sentence_mood_examples(documents, seed=DATA_SEED)
    needed = tier.test_size + tier.dev_size + max(tier.train_sizes)
    if len(examples) < needed:
        raise ValueError(
            f"tier {tier.name!r} needs {needed} labelled sentences; the corpus gives {len(examples)}"
        )
    test = examples[: tier.test_size]
    dev = examples[tier.test_size : tier.test_size + tier.dev_size]
    pool = examples[tier.test_size + tier.dev_size :]
    # The task strips the final mark (and quotes) from a sentence, so a held-out text is a prefix of
    # its stripped source sentence; bucket by first word to keep the scan linear.
    held: dict[str, list[str]] = {}
    for row in (*test, *dev):
        held.setdefault(_first_word(row["text"]), []).append(row["text"])
    kept, removed = [], 0
    for document in documents:
        sentences = []
        for sentence in document:
            text = _strip(sentence)
            if any(text.startswith(h) for h in held.get(_first_word(text), ())):
                removed += 1
            else:
                sentences.append(sentence)
        if sentences:
            kept.append(sentences)
    assert removed >= len({row["text"] for row in (*test, *dev)}), "a held-out sentence was not found"
    return TaskData(pool, dev, test, kept, removed)


def pack_blocks(documents: Sequence[Sequence[Sequence[int]]], cls: int, sep: int, seq_len: int) -> list[dict]:
    """Contiguous `[CLS] text [SEP]` blocks of `seq_len` ids across sentence and document breaks."""
    stream: list[int] = []
    for document in documents:
        for sentence in document:
            stream.extend(sentence)
        stream.append(sep)
    body = seq_len - 2
    return [{"input_ids": [cls, *stream[i : i + body], sep]} for i in range(0, len(stream) - body + 1, body)]


def unigram_entropy(blocks: Sequence[dict], special_ids: set[int]) -> float:
    """Entropy (nats) of the non-special token distribution: the MLM loss of a context-blind model."""
    ids = np.fromiter((t for b in blocks for t in b["input_ids"] if t not in special_ids), dtype=np.int64)
    p = np.bincount(ids)
    p = p[p > 0] / p.sum()
    return float(-(p * np.log(p)).sum())


def _args(output: str, seed: int, **kwargs: Any) -> TrainingArguments:
    return TrainingArguments(
        output_dir=output,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        dataloader_num_workers=0,
        per_device_eval_batch_size=64,
        weight_decay=0.01,
        lr_scheduler_type="linear",
        seed=seed,
        data_seed=seed,
        disable_tqdm=True,
        **kwargs,
    )


def _config(tier: Tier, tokenizer: Any, **extra: Any) -> BertConfig:
    sizes = {**preset("bert-tiny"), **dict(tier.model_overrides)}
    if tier.dropout is not None:
        sizes |= {"hidden_dropout_prob": tier.dropout, "attention_probs_dropout_prob": tier.dropout}
    return BertConfig(
        **sizes,
        vocab_size=len(tokenizer),
        pad_token_id=tokenizer.pad_token_id,
        max_position_embeddings=max(128, tier.seq_len),
        **extra,
    )


def analytic_flops(config: BertConfig, tokens: int, predicted: int, seq_len: int) -> float:
    """6·N_nonemb·tokens + 12·L·T·H·tokens (attention) + 6·H·V·predicted (output layer), §16.0."""
    h, layers = config.hidden_size, config.num_hidden_layers
    non_embedding = layers * (4 * h * h + 2 * h * config.intermediate_size)
    return float(
        6 * non_embedding * tokens
        + 12 * layers * seq_len * h * tokens
        + 6 * h * config.vocab_size * predicted
    )


def pretrain(
    tier: Tier, tokenizer: Any, blocks: list[dict], held_out: list[dict], seed: int, out: Path
) -> dict:
    """MLM-only pretraining of one seed; saves the model to `out` and returns its numbers."""
    torch.manual_seed(seed)
    config = _config(tier, tokenizer)
    model = BertForMaskedLM(config)
    args = _args(
        str(out / "trainer"),
        seed,
        max_steps=tier.pretrain_steps,
        per_device_train_batch_size=tier.pretrain_batch,
        learning_rate=tier.pretrain_lr,
        warmup_steps=0.06,
        logging_steps=max(1, tier.pretrain_steps // 20),
        prediction_loss_only=True,
    )
    collator = MaskedLMCollator.from_tokenizer(tokenizer, seed=seed)
    trainer = Trainer(model=model, args=args, train_dataset=blocks, data_collator=collator)
    start = time.perf_counter()
    result = trainer.train()
    seconds = time.perf_counter() - start
    # A fixed-seed collator gives every pretraining seed the same held-out masks.
    trainer.data_collator = MaskedLMCollator.from_tokenizer(tokenizer, seed=10_000)
    held_loss = trainer.evaluate(eval_dataset=held_out)["eval_loss"]
    model.save_pretrained(out / "model")
    tokens = tier.pretrain_steps * tier.pretrain_batch * tier.seq_len
    predicted = round(0.15 * tokens)
    return {
        "seed": seed,
        "steps": tier.pretrain_steps,
        "tokens": tokens,
        "flops": analytic_flops(config, tokens, predicted, tier.seq_len),
        "wall_seconds": seconds,
        "train_loss": result.training_loss,
        "heldout_mlm_loss": held_loss,
        "loss_curve": [
            {"step": e["step"], "loss": e["loss"]} for e in trainer.state.log_history if "loss" in e
        ],
    }


def finetune(
    tier: Tier,
    tokenizer: Any,
    data: TaskData,
    size_index: int,
    seed: int,
    pretrained: Path | None,
    workdir: Path,
) -> dict:
    """One fine-tuning run; `pretrained=None` is the scratch arm. Returns curves and test numbers."""
    size, epochs = tier.train_sizes[size_index], tier.epochs[size_index]
    label2id = {label: i for i, label in enumerate(LABELS)}

    def encode(rows: list[dict[str, str]]) -> list[dict]:
        texts = [row["text"] for row in rows]
        encoded = tokenizer(texts, truncation=True, max_length=tier.seq_len)
        return [
            {"input_ids": ids, "attention_mask": mask, "labels": label2id[row["label"]]}
            for ids, mask, row in zip(encoded["input_ids"], encoded["attention_mask"], rows, strict=True)
        ]

    train, dev, test = encode(data.train_pool[:size]), encode(data.dev), encode(data.test)
    # Same torch seed before either arm builds its model: the new pooler/classifier weights match.
    torch.manual_seed(seed)
    labels = {"num_labels": len(LABELS), "id2label": dict(enumerate(LABELS)), "label2id": label2id}
    if pretrained is None:
        model = BertForSequenceClassification(_config(tier, tokenizer, **labels))
    else:
        model = BertForSequenceClassification.from_pretrained(pretrained, **labels)
    steps = math.ceil(size / tier.finetune_batch) * math.ceil(epochs)
    args = _args(
        str(workdir / "trainer"),
        seed,
        num_train_epochs=epochs,
        per_device_train_batch_size=tier.finetune_batch,
        learning_rate=tier.finetune_lr,
        warmup_steps=0.1,
        eval_strategy="steps",
        eval_steps=max(1, steps // tier.evals_per_run),
        logging_strategy="steps",
        logging_steps=max(1, steps // tier.evals_per_run),
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=train,
        eval_dataset=dev,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=compute_classification_metrics(),
    )
    start = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - start
    curve = [
        {"step": e["step"], "dev_loss": e["eval_loss"], "dev_accuracy": e["eval_accuracy"]}
        for e in trainer.state.log_history
        if "eval_loss" in e
    ]
    final_dev = trainer.evaluate()
    if not curve or curve[-1]["step"] != trainer.state.global_step:
        curve.append(
            {
                "step": trainer.state.global_step,
                "dev_loss": final_dev["eval_loss"],
                "dev_accuracy": final_dev["eval_accuracy"],
            }
        )
    prediction = trainer.predict(test)
    predicted = np.asarray(prediction.predictions).argmax(-1)
    tokens = int(sum(len(row["input_ids"]) for row in train) * epochs)
    return {
        "arm": "scratch" if pretrained is None else "pretrained",
        "train_size": size,
        "seed": seed,
        "steps": trainer.state.global_step,
        "tokens": tokens,
        "wall_seconds": seconds,
        "dev_curve": curve,
        "test_accuracy": prediction.metrics["test_accuracy"],
        "test_loss": prediction.metrics["test_loss"],
        "test_class_rates": (np.bincount(predicted, minlength=len(LABELS)) / len(predicted)).tolist(),
    }


def step_ratio(pretrained: dict, scratch: dict) -> float | None:
    """Fraction of fine-tuning steps the pretrained arm needs to reach scratch's final dev loss.

    None when it never does (counted as failing the convergence threshold).
    """
    target = scratch["dev_curve"][-1]["dev_loss"]
    for point in pretrained["dev_curve"]:
        if point["dev_loss"] <= target:
            return point["step"] / pretrained["steps"]
    return None


def analyse(tier: Tier, pretraining: list[dict], runs: list[dict], entropy: float) -> dict:
    """Per-size paired differences, CIs, gates and the pre-registered outcome."""
    by_key = {(r["arm"], r["train_size"], r["pretrain_seed"], r["finetune_seed"]): r for r in runs}
    sizes: dict[str, Any] = {}
    for size in tier.train_sizes:
        per_seed: dict[str, list[float]] = {"pretrained": [], "scratch": [], "dev_loss_gap": []}
        ratios: list[float | None] = []
        for p in tier.pretrain_seeds:
            pairs = [
                (by_key["pretrained", size, p, f], by_key["scratch", size, p, f]) for f in tier.finetune_seeds
            ]
            per_seed["pretrained"].append(100 * float(np.mean([a["test_accuracy"] for a, _ in pairs])))
            per_seed["scratch"].append(100 * float(np.mean([b["test_accuracy"] for _, b in pairs])))
            per_seed["dev_loss_gap"].append(
                float(
                    np.mean(
                        [a["dev_curve"][-1]["dev_loss"] - b["dev_curve"][-1]["dev_loss"] for a, b in pairs]
                    )
                )
            )
            ratios += [step_ratio(a, b) for a, b in pairs]
        delta = protocol.summarize(protocol.paired_differences(per_seed["pretrained"], per_seed["scratch"]))
        finite = [r if r is not None else math.inf for r in ratios]
        median_ratio = float(np.median(finite))
        sizes[str(size)] = {
            "test_accuracy_pretrained": protocol.summarize(per_seed["pretrained"]),
            "test_accuracy_scratch": protocol.summarize(per_seed["scratch"]),
            "delta_accuracy_points": delta,
            "accuracy_outcome": protocol.judge(delta, ACC_THRESHOLD),
            "final_dev_loss_gap": protocol.summarize(per_seed["dev_loss_gap"]),
            "step_ratios": ratios,
            "median_step_ratio": median_ratio if math.isfinite(median_ratio) else None,
            "converges_faster": median_ratio <= STEP_RATIO_THRESHOLD,
        }
    mlm_losses = [p["heldout_mlm_loss"] for p in pretraining]
    gates = {
        "mlm_loss_below_unigram_entropy": {
            "unigram_entropy": entropy,
            "margin": MLM_GATE_MARGIN,
            "heldout_mlm_losses": mlm_losses,
            "passed": all(loss <= entropy - MLM_GATE_MARGIN for loss in mlm_losses),
        },
        "heads_not_constant": {
            "max_class_rate": max(max(r["test_class_rates"]) for r in runs),
            "limit": MAX_CLASS_RATE,
            "passed": all(max(r["test_class_rates"]) <= MAX_CLASS_RATE for r in runs),
        },
    }
    outcomes = [s["accuracy_outcome"] for s in sizes.values()]
    if not all(g["passed"] for g in gates.values()):
        outcome = "invalid (sanity gate failed)"
    elif all(o == "reproduced" for o in outcomes) and all(s["converges_faster"] for s in sizes.values()):
        outcome = "reproduced"
    elif any(o == "not reproduced" for o in outcomes):
        outcome = "not reproduced"
    else:
        outcome = "inconclusive"
    return {"sizes": sizes, "gates": gates, "outcome": outcome}


def run(tier: Tier, output_dir: Path | None = None) -> dict:
    """Run one tier end to end; write JSON + PNG into `output_dir` (default: results/ for full)."""
    # One thread (two gain nothing on this machine kind, §12) and deterministic kernels, restored
    # afterwards so a test session that calls `run` keeps its own settings.
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    verbosity = hf_logging.get_verbosity()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    hf_logging.set_verbosity_error()
    try:
        return _run(tier, output_dir if output_dir is not None else RESULTS)
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)
        hf_logging.set_verbosity(verbosity)


def _run(tier: Tier, output_dir: Path) -> dict:
    start = time.perf_counter()
    data = build_data(tier)
    tokenizer = train_wordpiece_tokenizer(
        iter_texts(data.pretrain_documents), vocab_size=tier.vocab_size, model_max_length=tier.seq_len
    )
    ids = tokenizer(list(iter_texts(data.pretrain_documents)), add_special_tokens=False)["input_ids"]
    tokenized, cursor = [], 0
    for document in data.pretrain_documents:
        tokenized.append(ids[cursor : cursor + len(document)])
        cursor += len(document)
    # Hold out every 20th document for the MLM gate; the rest is the pretraining stream.
    train_docs = [d for i, d in enumerate(tokenized) if i % 20]
    held_docs = [d for i, d in enumerate(tokenized) if i % 20 == 0]
    blocks = pack_blocks(train_docs, tokenizer.cls_token_id, tokenizer.sep_token_id, tier.seq_len)
    held_out = pack_blocks(held_docs, tokenizer.cls_token_id, tokenizer.sep_token_id, tier.seq_len)
    entropy = unigram_entropy(blocks, set(tokenizer.all_special_ids))
    pretraining, runs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for p in tier.pretrain_seeds:
            info = pretrain(tier, tokenizer, blocks, held_out, p, work / f"pretrain-{p}")
            logger.info("pretraining seed %d: held-out MLM loss %.3f", p, info["heldout_mlm_loss"])
            pretraining.append(info)
            for size_index in range(len(tier.train_sizes)):
                for f in tier.finetune_seeds:
                    # Fine-tuning seeds are offset by the pretraining seed so that scratch arms of
                    # different pretraining seeds are independent replicates too.
                    seed = 100 * p + f
                    for source in (work / f"pretrain-{p}" / "model", None):
                        result = finetune(tier, tokenizer, data, size_index, seed, source, work / "ft")
                        result["pretrain_seed"], result["finetune_seed"] = p, f
                        runs.append(result)
    analysis = analyse(tier, pretraining, runs, entropy)
    payload = {
        "claim": "claim 1: fine-tuning from MLM-pretrained weights converges faster and ends "
        "better than the same model from random initialisation",
        "tier": asdict(tier),
        "preregistered": {
            "acc_threshold_points": ACC_THRESHOLD,
            "step_ratio_threshold": STEP_RATIO_THRESHOLD,
            "mlm_gate_margin_nats": MLM_GATE_MARGIN,
            "max_class_rate": MAX_CLASS_RATE,
        },
        "data": {
            "task": "sentence mood (statement/question/exclamation), embedded corpus",
            "train_pool": len(data.train_pool),
            "dev": len(data.dev),
            "test": len(data.test),
            "pretraining_sentences_removed": data.removed_sentences,
            "pretraining_blocks": len(blocks),
            "heldout_blocks": len(held_out),
            "vocab_size": len(tokenizer),
        },
        "compute": {
            "pretraining_flops_per_seed": pretraining[0]["flops"],
            "pretraining_tokens_per_seed": pretraining[0]["tokens"],
            "total_wall_seconds": time.perf_counter() - start,
        },
        **analysis,
        "pretraining": pretraining,
        "runs": runs,
    }
    stem = "finetune_vs_scratch" if tier is FULL else f"finetune_vs_scratch_{tier.name}"
    protocol.write_json(output_dir / f"{stem}.json", payload)
    plot(tier, runs, output_dir / f"{stem}.png")
    return payload


def plot(tier: Tier, runs: list[dict], path: Path) -> None:
    """Dev loss and accuracy vs fine-tuning step, both arms, one row per labelled size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = len(tier.train_sizes)
    fig, axes = plt.subplots(rows, 2, figsize=(10, 3.6 * rows), squeeze=False)
    colours = {"pretrained": "tab:blue", "scratch": "tab:orange"}
    for row, size in enumerate(tier.train_sizes):
        for arm, colour in colours.items():
            curves = [r["dev_curve"] for r in runs if r["arm"] == arm and r["train_size"] == size]
            length = min(len(c) for c in curves)
            steps = [point["step"] for point in curves[0][:length]]
            for col, key in enumerate(("dev_loss", "dev_accuracy")):
                values = np.array([[point[key] for point in c[:length]] for c in curves])  # (runs, evals)
                ax = axes[row][col]
                ax.plot(steps, values.mean(0), color=colour, label=f"{arm} (n={len(curves)})")
                ax.fill_between(steps, values.min(0), values.max(0), color=colour, alpha=0.2)
                ax.set_title(f"N={size}: {key.replace('_', ' ')}")
                ax.set_xlabel("fine-tuning step")
                ax.legend()
    fig.suptitle("Fine-tuning a tiny BERT from MLM pretraining vs from scratch (mean, min-max band)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def markdown_table(result: dict) -> str:
    """The README table: test accuracy per arm and size, paired gain with its CI, step ratio."""
    lines = [
        "| labelled N | pretrained acc. | scratch acc. | Δ (points, 95% CI) | seeds Δ>0 | dev-loss gap | step ratio | outcome |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for size, n in result["sizes"].items():
        pre, scr, d = n["test_accuracy_pretrained"], n["test_accuracy_scratch"], n["delta_accuracy_points"]
        ratio = "never" if n["median_step_ratio"] is None else f"{n['median_step_ratio']:.2f}"
        lines.append(
            f"| {size} | {pre['mean']:.1f} ± {pre['std']:.1f} | {scr['mean']:.1f} ± {scr['std']:.1f} "
            f"| {d['mean']:+.1f} [{d['ci'][0]:+.1f}, {d['ci'][1]:+.1f}] | {d['positive']}/{d['n']} "
            f"| {n['final_dev_loss_gap']['mean']:+.3f} | {ratio} | {n['accuracy_outcome']} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", choices=sorted(TIERS), default="smoke")
    parser.add_argument("--output-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    result = run(TIERS[args.tier], args.output_dir)
    logger.info("outcome: %s", result["outcome"])
    for size, numbers in result["sizes"].items():
        d = numbers["delta_accuracy_points"]
        logger.info(
            "N=%s: pretrained %.1f, scratch %.1f, delta %.2f [%.2f, %.2f], median step ratio %s",
            size,
            numbers["test_accuracy_pretrained"]["mean"],
            numbers["test_accuracy_scratch"]["mean"],
            d["mean"],
            *d["ci"],
            numbers["median_step_ratio"],
        )
    logger.info("README table:\n%s", markdown_table(result))


if __name__ == "__main__":
    main()
