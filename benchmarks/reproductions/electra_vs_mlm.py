"""Claim 3: ELECTRA's replaced-token detection vs masked LM at equal pretraining compute.

Clark et al. 2020 (ELECTRA) §3.2-3.4: a discriminator trained to spot the tokens a small generator
replaced learns from every position, not only the 15% masked, and beats an MLM of the same size
and compute after fine-tuning. In miniature (project notes on reproductions §16.c): hf_ssl's joint
`ElectraForPreTraining` (discriminator L2/H128, generator 1/4 as wide, shared embeddings,
85/15 [MASK]/keep masking through `hf_ssl.MaskedLMCollator`, loss = generator MLM + 50 x
discriminator BCE) against hf_ssl's `BertForMaskedLM` of the discriminator's size, both trained
with transformers' Trainer on WordNet 3.0 glosses and examples (`hf_ssl.data.read_wordnet`), the
MLM arm given the same analytic FLOPs (more steps). Both are then fine-tuned on the same task,
26-way noun-supersense classification of WordNet definitions (the task of the pilot that reproduced
claim 1, §15.a), paired by pretraining seed; the definitions of the task's synsets are kept out of
pretraining.

Gate (§16.0): the discriminator's held-out AUC for "was this token replaced" must reach 0.8, or
the run is invalid as evidence either way. The pilots (§15.c) found the discriminator stuck on
"nothing is replaced" at this scale; ELECTRA's gains are documented at 10^17-10^18 FLOPs, these
runs spend about 10^13, so "not reproduced" is a legitimate outcome here.

Run the full tier by hand (about 13 minutes on one core; needs Debian's wordnet-base):

    python benchmarks/reproductions/electra_vs_mlm.py --tier full
"""

from __future__ import annotations

import logging
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import DataCollatorWithPadding, Trainer, TrainingArguments

import hf_ssl
from hf_ssl.data import read_wordnet, train_wordpiece_tokenizer

try:  # run as a script or imported from the package
    from benchmarks.reproductions import protocol
except ImportError:  # pragma: no cover - the script's own directory is on sys.path instead
    import protocol  # type: ignore[no-redef]

logger = logging.getLogger(__name__)

RESULTS = Path(__file__).parent / "results"
SEQ_LEN = 64

# ---- Pre-registered before the full run (never edited after it) ------------------------------
ACC_THRESHOLD = 1.0  # ELECTRA - MLM test accuracy, points; CI over pretraining seeds above 0
AUC_GATE = 0.8  # held-out discriminator AUC; below it the run is no evidence either way
# -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tier:
    name: str
    synsets: int | None  # None: all of WordNet
    vocab_size: int
    electra_steps: int
    batch_size: int
    train_examples: int
    test_examples: int
    finetune_epochs: int
    seeds: int


TIERS = {
    "smoke": Tier("smoke", 4000, 1000, 4, 8, 64, 64, 1, 1),
    "full": Tier("full", None, 8000, 500, 32, 2000, 2000, 3, 3),
}


def task_and_corpus(tier: Tier) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str], list[str]]:
    """Noun-supersense examples (train, test), their label names, and the pretraining texts (every
    gloss and example except the task synsets' own definitions and examples)."""
    synsets = list(read_wordnet())
    if tier.synsets is not None:
        synsets = synsets[:: max(1, len(synsets) // tier.synsets)]
    rng = np.random.default_rng(0)
    nouns = [s for s in synsets if s.pos == "n" and len(s.definition.split()) >= 3]
    chosen = rng.choice(len(nouns), tier.train_examples + tier.test_examples, replace=False)
    task = [nouns[i] for i in chosen]
    labels = sorted({s.lexname for s in nouns})
    rows = [{"text": s.definition, "label": labels.index(s.lexname)} for s in task]
    held = {s.key for s in task}
    texts = [t for s in synsets if s.key not in held for t in (s.definition, *s.examples)]
    return rows[: tier.train_examples], rows[tier.train_examples :], labels, texts


def blocks(tokenizer: Any, texts: list[str]) -> list[dict[str, list[int]]]:
    """Texts end to end in [CLS] ... [SEP] rows of SEQ_LEN tokens."""
    flat = [t for ids in tokenizer(texts, add_special_tokens=False)["input_ids"] for t in ids]
    width = SEQ_LEN - 2
    return [
        {"input_ids": [tokenizer.cls_token_id, *flat[i : i + width], tokenizer.sep_token_id]}
        for i in range(0, len(flat) - width + 1, width)
    ]


def flops_per_step(model: Any, batch: int, masked_share: float = 0.15) -> float:
    """Analytic training FLOPs (§16.0): 6 x non-embedding parameters x tokens, plus the vocabulary
    projections (every position for nothing here: hf_ssl projects masked positions only)."""
    tokens = batch * SEQ_LEN
    embedding = sum(p.numel() for n, p in model.named_parameters() if "embeddings" in n)
    body = sum(p.numel() for p in model.parameters()) - embedding
    vocab, hidden = model.config.vocab_size, model.config.hidden_size
    if isinstance(model, hf_ssl.ElectraForPreTraining):
        hidden = int(hidden * model.config.generator_size)  # only the generator predicts words
    return 6.0 * body * tokens + 6.0 * hidden * vocab * tokens * masked_share


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve by the rank statistic (Mann-Whitney U)."""
    order = scores.argsort()
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    positives = labels.sum()
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    return float((ranks[labels == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


@torch.no_grad()
def discriminator_auc(model: Any, collator: Any, rows: list[dict[str, list[int]]]) -> dict[str, float]:
    model.eval()
    scores, labels = [], []
    for start in range(0, len(rows), 64):
        batch = collator(rows[start : start + 64])
        out = model(**batch)
        real = batch["attention_mask"].bool()
        scores.append(out.logits[real].numpy())
        labels.append(out.replaced[real].long().numpy())
    s, y = np.concatenate(scores), np.concatenate(labels)
    return {"auc": auc(s, y), "accuracy": float(((s > 0) == y).mean()), "replaced_share": float(y.mean())}


def arguments(workdir: str, steps: int, batch: int, lr: float, seed: int) -> TrainingArguments:
    """Linear decay after a warm-up of 6% of the steps (pretraining) or 10% (fine-tuning, lr 3e-4)."""
    return TrainingArguments(
        output_dir=workdir,
        max_steps=steps,
        per_device_train_batch_size=batch,
        learning_rate=lr,
        warmup_steps=max(1, round(steps * (0.06 if lr > 3e-4 else 0.1))),
        weight_decay=0.01,
        save_strategy="no",
        logging_steps=50,
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
        seed=seed,
        dataloader_num_workers=0,
    )


def finetune(
    classifier: Any, tokenizer: Any, train: list, test: list, tier: Tier, workdir: str, seed: int
) -> float:
    """Test accuracy (%) after fine-tuning on the supersense task."""
    encode = lambda rows: [  # noqa: E731
        {**tokenizer(r["text"], truncation=True, max_length=SEQ_LEN), "labels": r["label"]} for r in rows
    ]
    trainer = Trainer(
        model=classifier,
        args=arguments(workdir, -(-len(train) // 32) * tier.finetune_epochs, 32, 3e-4, seed),
        train_dataset=encode(train),
        data_collator=DataCollatorWithPadding(tokenizer),
    )
    trainer.train()
    predictions = trainer.predict(encode(test)).predictions.argmax(-1)
    return 100.0 * float((predictions == np.array([r["label"] for r in test])).mean())


def run(tier_name: str, output: Path, seeds: int | None = None) -> dict[str, Any]:
    tier = TIERS[tier_name]
    torch.set_num_threads(1)
    output.mkdir(parents=True, exist_ok=True)
    started = time.time()
    train, test, labels, texts = task_and_corpus(tier)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tokenizer = train_wordpiece_tokenizer(texts, vocab_size=tier.vocab_size, model_max_length=SEQ_LEN)
    rows = blocks(tokenizer, texts)
    held_rows, rows = rows[:200], rows[200:]
    sizes = {
        **hf_ssl.preset("electra-tiny"),
        "vocab_size": len(tokenizer),
        "max_position_embeddings": SEQ_LEN,
    }
    electra_config = hf_ssl.ElectraConfig(**sizes, num_labels=len(labels))
    bert_sizes = {k: v for k, v in sizes.items() if k not in ("embedding_size", "generator_size")}
    bert_config = hf_ssl.BertConfig(**bert_sizes, num_labels=len(labels))
    electra_flops = flops_per_step(hf_ssl.ElectraForPreTraining(electra_config), tier.batch_size)
    mlm_flops = flops_per_step(hf_ssl.BertForMaskedLM(bert_config), tier.batch_size)
    mlm_steps = max(1, round(tier.electra_steps * electra_flops / mlm_flops))  # equal analytic FLOPs
    runs = []
    with tempfile.TemporaryDirectory() as workdir:
        for seed in range(seeds or tier.seeds):
            record: dict[str, Any] = {"seed": seed}
            torch.manual_seed(seed)
            electra = hf_ssl.ElectraForPreTraining(electra_config)
            electra_collator = hf_ssl.MaskedLMCollator.from_tokenizer(
                tokenizer, mask_replace_prob=0.85, random_replace_prob=0.0, seed=seed
            )
            t0 = time.process_time()
            Trainer(
                model=electra,
                args=arguments(workdir, tier.electra_steps, tier.batch_size, 1e-3, seed),
                train_dataset=rows,
                data_collator=electra_collator,
            ).train()
            record["electra_cpu_seconds"] = time.process_time() - t0
            record["discriminator"] = discriminator_auc(
                electra,
                hf_ssl.MaskedLMCollator.from_tokenizer(
                    tokenizer, mask_replace_prob=0.85, random_replace_prob=0.0, seed=10_000
                ),
                held_rows,
            )
            electra.save_pretrained(f"{workdir}/electra-{seed}")
            classifier = hf_ssl.ElectraForSequenceClassification.from_pretrained(
                f"{workdir}/electra-{seed}", num_labels=len(labels)
            )
            record["electra_accuracy"] = finetune(classifier, tokenizer, train, test, tier, workdir, seed)

            torch.manual_seed(seed)
            mlm = hf_ssl.BertForMaskedLM(bert_config)
            t0 = time.process_time()
            Trainer(
                model=mlm,
                args=arguments(workdir, mlm_steps, tier.batch_size, 1e-3, seed),
                train_dataset=rows,
                data_collator=hf_ssl.MaskedLMCollator.from_tokenizer(tokenizer, seed=seed),
            ).train()
            record["mlm_cpu_seconds"] = time.process_time() - t0
            mlm.save_pretrained(f"{workdir}/mlm-{seed}")
            classifier = hf_ssl.BertForSequenceClassification.from_pretrained(
                f"{workdir}/mlm-{seed}", num_labels=len(labels)
            )
            record["mlm_accuracy"] = finetune(classifier, tokenizer, train, test, tier, workdir, seed)
            runs.append(record)
            logger.info("seed %d: %s", seed, record)
    diffs = protocol.paired_differences(
        [r["electra_accuracy"] for r in runs], [r["mlm_accuracy"] for r in runs]
    )
    summary = protocol.summarize(diffs)
    gate = all(r["discriminator"]["auc"] >= AUC_GATE for r in runs)
    outcome = protocol.judge(summary, ACC_THRESHOLD) if gate else "invalid (discriminator AUC gate failed)"
    result = {
        "claim": "ELECTRA's replaced-token detection beats MLM at equal pretraining compute",
        "tier": tier_name,
        "settings": asdict(tier),
        "task": {"labels": labels, "train": len(train), "test": len(test), "chance": 1 / len(labels)},
        "corpus": {"texts": len(texts), "rows": len(rows), "vocab_size": len(tokenizer)},
        "compute": {
            "electra_steps": tier.electra_steps,
            "mlm_steps": mlm_steps,
            "electra_flops_per_step": electra_flops,
            "mlm_flops_per_step": mlm_flops,
            "flops_per_arm": electra_flops * tier.electra_steps,
        },
        "thresholds": {"accuracy_points": ACC_THRESHOLD, "auc_gate": AUC_GATE},
        "runs": runs,
        "electra_minus_mlm": summary,
        "electra_accuracy": protocol.summarize([r["electra_accuracy"] for r in runs]),
        "mlm_accuracy": protocol.summarize([r["mlm_accuracy"] for r in runs]),
        "gate_passed": gate,
        "outcome": outcome,
        "wall_seconds": time.time() - started,
    }
    protocol.write_json(output / "electra_vs_mlm.json", result)
    plot(result, output / "electra_vs_mlm.png")
    logger.info("outcome: %s", outcome)
    return result


def plot(result: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    runs = result["runs"]
    for index, run in enumerate(runs):
        axes[0].plot(
            [0, 1],
            [run["mlm_accuracy"], run["electra_accuracy"]],
            marker="o",
            color=f"C{index}",
            label=f"seed {run['seed']}",
        )
    axes[0].axhline(100 * result["task"]["chance"], color="grey", linestyle=":")
    axes[0].set_xticks([0, 1], ["MLM", "ELECTRA"])
    axes[0].set(
        ylabel="supersense test accuracy (%)",
        title=f"equal FLOPs ({result['compute']['flops_per_arm']:.1e} per arm)",
    )
    axes[0].legend(fontsize=8)
    values = [run["discriminator"]["auc"] for run in runs]
    axes[1].bar(range(len(values)), values, color="C1")
    axes[1].axhline(AUC_GATE, color="C3", linestyle="--", label="gate")
    axes[1].axhline(0.5, color="grey", linestyle=":")
    axes[1].set_xticks(range(len(values)), [f"seed {r['seed']}" for r in runs])
    axes[1].set(ylim=(0, 1), ylabel="held-out AUC", title="discriminator: replaced or original?")
    axes[1].legend()
    fig.tight_layout()
    return protocol.save_figure(fig, path)


def main(argv: Sequence[str] | None = None) -> None:
    protocol.command_line(run, TIERS, __doc__ or "", RESULTS, argv)


if __name__ == "__main__":
    main()
