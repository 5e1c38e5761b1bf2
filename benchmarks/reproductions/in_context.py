"""Claim 6: in-context learning — a tiny GPT answers from the examples in its prompt.

The lecture's zero/one/few-shot picture (Brown et al. 2020, GPT-3 §2) in the miniature that shows
up on a CPU in minutes (project notes on reproductions §16.f, after Chan et al. 2022 and Reddy
2023): sequences of 8 (item, label) demonstrations and a query item. The item -> label map is
drawn afresh for every sequence, so nothing about it can be stored in the weights: zero-shot (a
query item that is not among the demonstrations) is at chance, 1/16, by construction, and any
accuracy above chance on a query seen k >= 1 times in the prompt is learnt from the prompt alone.
Sequences are bursty (4 distinct items fill the 8 slots), which is what makes in-context learning
emerge (Chan et al. 2022).

Model: hf_ssl's own GPT (`GPTLMHeadModel`, pre-LN, 2 layers, hidden 64, 2 heads), trained with
transformers' Trainer, loss on every label position (each label is predicted from its item). The
prediction for a query is the label token with the highest likelihood after the prompt, i.e. the
likelihood scoring of `hf_ssl.analysis.score_candidates` for one-token answers.

Control (§16.f): a fixed item -> label map for the whole run. The model can then store the map in
its weights: "zero-shot" accuracy is high and hardly depends on k (in-weights learning).

Honesty: this shows the mechanism — inferring a per-sequence mapping from the prompt — not GPT-3's
natural-language few-shot benchmarks, which need far more parameters and data than a CPU minute.

Run the full tier by hand (about 12 minutes on one core):

    python benchmarks/reproductions/in_context.py --tier full

It writes `results/in_context.json` (every number, versions) and `.png`. The smoke tier is what
tests/reproductions/test_in_context.py runs.
"""

from __future__ import annotations

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
from transformers import Trainer, TrainerCallback, TrainingArguments

import hf_ssl
from hf_ssl.constants import IGNORE_INDEX

try:  # run as a script or imported from the package
    from benchmarks.reproductions import protocol
except ImportError:  # pragma: no cover - the script's own directory is on sys.path instead
    import protocol  # type: ignore[no-redef]

logger = logging.getLogger(__name__)

RESULTS = Path(__file__).parent / "results"
NUM_ITEMS, NUM_LABELS = 512, 16
CONTEXT_PAIRS, DISTINCT_ITEMS = 8, 4  # bursty: 4 distinct items fill the 8 demonstration slots
UNSEEN_TRAIN, UNSEEN_EVAL = 0.1, 0.2  # share of queries whose item is not among the demonstrations
SEQ_LEN = 2 * CONTEXT_PAIRS + 2  # item label x 8, query item, its label (the answer): 18 tokens
QUERY = SEQ_LEN - 2  # position of the query item; the answer is predicted from it
LABEL_OFFSET = NUM_ITEMS  # token ids: items 0..511, labels 512..527
CHANCE = 1 / NUM_LABELS

# ---- Pre-registered before the full run (never edited after it) ------------------------------
# Zero-shot (k = 0) accuracy of the in-context model lies within chance +- 3 standard errors.
ZERO_SHOT_SE = 3.0
# Queries seen k >= 1 times in the prompt are answered with accuracy >= this at the final step ...
FEW_SHOT_ACCURACY = 0.90
# ... in at least this share of the seeds (4 of 5).
SEED_SHARE = 0.8
# Transition step: the first evaluation at which k >= 1 accuracy reaches this (recorded, not judged).
TRANSITION_ACCURACY = 0.5
# Control (fixed map, exploratory): in-weights learning gives k = 0 accuracy at least this.
CONTROL_ZERO_SHOT = 0.5
# -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tier:
    """Sizes of one run: `smoke` for the test suite (seconds), `full` by hand (about 12 minutes)."""

    name: str
    steps: int
    batch_size: int
    eval_every: int
    eval_sequences: int
    seeds: int
    control_seeds: int


TIERS = {
    "smoke": Tier(
        "smoke", steps=20, batch_size=32, eval_every=10, eval_sequences=200, seeds=1, control_seeds=1
    ),
    "full": Tier(
        "full", steps=1200, batch_size=128, eval_every=100, eval_sequences=2000, seeds=5, control_seeds=3
    ),
    # Exploratory, added after the full run came out "not reproduced" (no transition by step 1200):
    # does the transition come later? One seed, 4000 steps; it does not change the verdict above.
    "long": Tier(
        "long", steps=4000, batch_size=128, eval_every=200, eval_sequences=2000, seeds=1, control_seeds=0
    ),
}


def make_sequences(
    count: int, rng: np.random.Generator, *, unseen_share: float, fixed_map: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """`count` bursty sequences (count, 18) of token ids, and k per sequence (the query's count).

    Each sequence: 4 distinct items spread over the 8 demonstration slots (each at least once, in a
    random order), every item's label from a fresh random map (or from `fixed_map`), then the query
    and its label: with probability `unseen_share` an item not among the demonstrations (k = 0),
    else one of the 4 (k = how often it was shown).
    """
    # Vectorised over rows: 5 distinct items per row (the first 4 shown, the 5th never shown).
    items = rng.integers(0, NUM_ITEMS, (count, DISTINCT_ITEMS + 1))  # (n, 5)
    while True:  # redraw the few rows (~2%) that drew an item twice
        ordered = np.sort(items, axis=1)
        repeated = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
        if not repeated.any():
            break
        items[repeated] = rng.integers(0, NUM_ITEMS, (int(repeated.sum()), DISTINCT_ITEMS + 1))
    extra = rng.integers(0, DISTINCT_ITEMS, (count, CONTEXT_PAIRS - DISTINCT_ITEMS))  # (n, 4)
    slot_index = np.concatenate([np.tile(np.arange(DISTINCT_ITEMS), (count, 1)), extra], axis=1)  # (n, 8)
    slot_index = np.take_along_axis(
        slot_index, np.argsort(rng.random((count, CONTEXT_PAIRS)), axis=1), axis=1
    )
    if fixed_map is None:
        label_of = rng.integers(0, NUM_LABELS, (count, DISTINCT_ITEMS + 1))  # (n, 5): a fresh map per row
    else:
        label_of = fixed_map[items]  # (n, 5)
    unseen = rng.random(count) < unseen_share
    query_index = np.where(unseen, DISTINCT_ITEMS, rng.integers(0, DISTINCT_ITEMS, count))  # (n,)
    rows = np.arange(count)
    sequences = np.empty((count, SEQ_LEN), dtype=np.int64)
    sequences[:, 0:QUERY:2] = np.take_along_axis(items, slot_index, axis=1)
    sequences[:, 1:QUERY:2] = LABEL_OFFSET + np.take_along_axis(label_of, slot_index, axis=1)
    sequences[:, QUERY] = items[rows, query_index]
    sequences[:, QUERY + 1] = LABEL_OFFSET + label_of[rows, query_index]
    counts = (slot_index == query_index[:, None]).sum(axis=1)  # (n,) times the query was shown
    return sequences, counts


class SequenceDataset(torch.utils.data.Dataset):
    """Training rows: the loss falls on every label token (each predicted from its item)."""

    def __init__(self, sequences: np.ndarray) -> None:
        self.ids = torch.from_numpy(sequences)  # (n, 18)
        labels = self.ids.clone()
        labels[:, 0::2] = IGNORE_INDEX  # items are not predicted: they are random by construction
        self.labels = labels

    def __len__(self) -> int:
        return self.ids.shape[0]

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.ids[index], "labels": self.labels[index]}


def gpt_config() -> hf_ssl.GPTConfig:
    """§16.f: a causal 2-layer pre-LN Transformer, hidden 64, 2 heads (~0.1M parameters + embeddings)."""
    return hf_ssl.GPTConfig(
        vocab_size=NUM_ITEMS + NUM_LABELS,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=256,
        max_position_embeddings=SEQ_LEN,
        norm_position="pre",
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        embedding_dropout_prob=0.0,
        bos_token_id=None,
        eos_token_id=None,
    )


@torch.no_grad()
def answer_accuracy(model: Any, sequences: np.ndarray, demonstrations: int = CONTEXT_PAIRS) -> np.ndarray:
    """Per sequence, 1.0 where the likeliest of the 16 labels after the prompt is the right one.

    The prompt keeps the last `demonstrations` (item, label) pairs before the query (0 = zero-shot
    prompt: the query alone). One-token answers make likelihood scoring an argmax over the label
    tokens' logits at the query.
    """
    was_training = model.training
    model.eval()
    ids = torch.from_numpy(sequences)
    prompt = torch.cat([ids[:, QUERY - 2 * demonstrations : QUERY], ids[:, QUERY : QUERY + 1]], dim=1)
    logits = model(input_ids=prompt).logits[:, -1, LABEL_OFFSET:]  # (n, 16)
    model.train(was_training)
    return (logits.argmax(-1) == ids[:, QUERY + 1] - LABEL_OFFSET).float().numpy()


def by_count(correct: np.ndarray, counts: np.ndarray) -> dict[str, dict[str, float]]:
    """Accuracy and number of queries for k = 0, 1, 2, 3+ (k = times the query was shown)."""
    groups = {"0": counts == 0, "1": counts == 1, "2": counts == 2, "3+": counts >= 3}
    return {
        name: {"accuracy": float(correct[mask].mean()) if mask.any() else math.nan, "n": int(mask.sum())}
        for name, mask in groups.items()
    }


class EvaluationCallback(TrainerCallback):
    """Accuracy by k on a fixed evaluation set every `every` steps (and at step 0)."""

    def __init__(self, sequences: np.ndarray, counts: np.ndarray, every: int) -> None:
        self.sequences, self.counts, self.every = sequences, counts, every
        self.curve: list[dict[str, Any]] = []

    def record(self, model: Any, step: int) -> None:
        correct = answer_accuracy(model, self.sequences)
        seen = self.counts >= 1
        self.curve.append(
            {"step": step, "by_k": by_count(correct, self.counts), "seen": float(correct[seen].mean())}
        )

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        self.record(model, 0)

    def on_step_end(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        if state.global_step % self.every == 0 or state.global_step == state.max_steps:
            self.record(model, state.global_step)


def train_one(seed: int, tier: Tier, workdir: str, *, fixed_map: np.ndarray | None) -> dict[str, Any]:
    """Train one model from scratch on fresh sequences; return its curve and final accuracies."""
    rng = np.random.default_rng(seed)
    train, _ = make_sequences(
        tier.steps * tier.batch_size, rng, unseen_share=UNSEEN_TRAIN, fixed_map=fixed_map
    )
    evaluation, counts = make_sequences(
        tier.eval_sequences,
        np.random.default_rng(10_000 + seed),
        unseen_share=UNSEEN_EVAL,
        fixed_map=fixed_map,
    )
    torch.manual_seed(seed)
    model = hf_ssl.GPTLMHeadModel(gpt_config())
    callback = EvaluationCallback(evaluation, counts, tier.eval_every)
    args = TrainingArguments(
        output_dir=workdir,
        max_steps=tier.steps,
        per_device_train_batch_size=tier.batch_size,
        learning_rate=1e-3,
        warmup_steps=max(1, tier.steps // 20),
        lr_scheduler_type="constant_with_warmup",
        weight_decay=0.0,
        save_strategy="no",
        logging_steps=max(1, tier.steps // 10),
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
        seed=seed,
        dataloader_num_workers=0,
    )
    started = time.process_time()
    trainer = Trainer(model=model, args=args, train_dataset=SequenceDataset(train), callbacks=[callback])
    trainer.train()
    seconds = time.process_time() - started
    final = answer_accuracy(model, evaluation)
    by_demonstrations = {
        str(n): float(answer_accuracy(model, evaluation, n)[counts >= 1].mean())
        for n in range(CONTEXT_PAIRS + 1)
    }
    transition = next(
        (point["step"] for point in callback.curve if point["seen"] >= TRANSITION_ACCURACY), None
    )
    return {
        "seed": seed,
        "curve": callback.curve,
        "final_by_k": by_count(final, counts),
        "final_seen": float(final[counts >= 1].mean()),
        "by_demonstrations": by_demonstrations,
        "transition_step": transition,
        "cpu_seconds": seconds,
        "tokens": tier.steps * tier.batch_size * SEQ_LEN,
    }


def judge_in_context(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The pre-registered verdict: zero-shot at chance, k >= 1 at or above the bar in enough seeds."""
    zero = [run["final_by_k"]["0"] for run in runs]
    pooled_n = sum(z["n"] for z in zero)
    pooled = sum(z["accuracy"] * z["n"] for z in zero) / pooled_n
    band = ZERO_SHOT_SE * math.sqrt(CHANCE * (1 - CHANCE) / pooled_n)
    zero_at_chance = abs(pooled - CHANCE) <= band
    passing = sum(run["final_seen"] >= FEW_SHOT_ACCURACY for run in runs)
    few_shot = passing >= math.ceil(SEED_SHARE * len(runs))
    outcome = "reproduced" if zero_at_chance and few_shot else "not reproduced"
    return {
        "zero_shot_pooled": pooled,
        "zero_shot_band": [CHANCE - band, CHANCE + band],
        "zero_shot_at_chance": zero_at_chance,
        "seeds_meeting_few_shot_bar": passing,
        "seeds": len(runs),
        "outcome": outcome,
    }


def summary_of(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Mean and spread over seeds of the final accuracies (per k, and by number of demonstrations)."""
    out: dict[str, Any] = {"by_k": {}, "by_demonstrations": {}}
    for k in ("0", "1", "2", "3+"):
        values = [
            run["final_by_k"][k]["accuracy"]
            for run in runs
            if not math.isnan(run["final_by_k"][k]["accuracy"])
        ]
        out["by_k"][k] = protocol.summarize(values) if values else None
    for n in map(str, range(CONTEXT_PAIRS + 1)):
        out["by_demonstrations"][n] = protocol.summarize([run["by_demonstrations"][n] for run in runs])
    transitions = [run["transition_step"] for run in runs if run["transition_step"] is not None]
    out["transition_step"] = {
        "values": [run["transition_step"] for run in runs],
        "median": float(np.median(transitions)) if transitions else None,
    }
    return out


def plot(result: dict[str, Any], path: Path) -> Path:
    """Left: accuracy on seen queries over training (each seed) and k = 0; middle: accuracy vs number
    of demonstrations in the prompt; right: accuracy by k, in-context vs fixed-map control."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for run in result["in_context"]["runs"]:
        steps = [p["step"] for p in run["curve"]]
        axes[0].plot(steps, [p["seen"] for p in run["curve"]], color="C0", alpha=0.7)
        axes[0].plot(steps, [p["by_k"]["0"]["accuracy"] for p in run["curve"]], color="C3", alpha=0.7)
    axes[0].axhline(CHANCE, color="grey", linestyle=":")
    axes[0].set(xlabel="training step", ylabel="query accuracy", title="in context: k>=1 (blue), k=0 (red)")
    for name, color in (("in_context", "C0"), ("control", "C2")):
        if result[name]["summary"] is None:
            continue  # the long exploratory tier has no control arm
        summary = result[name]["summary"]["by_demonstrations"]
        xs = list(range(CONTEXT_PAIRS + 1))
        means = [summary[str(n)]["mean"] for n in xs]
        lows = [min(summary[str(n)]["values"]) for n in xs]
        highs = [max(summary[str(n)]["values"]) for n in xs]
        axes[1].plot(xs, means, color=color, marker="o", label=name.replace("_", "-"))
        axes[1].fill_between(xs, lows, highs, color=color, alpha=0.2)
        ks = ["0", "1", "2", "3+"]
        offset = -0.2 if name == "in_context" else 0.2
        values = [
            result[name]["summary"]["by_k"][k]["mean"] if result[name]["summary"]["by_k"][k] else 0
            for k in ks
        ]
        axes[2].bar(np.arange(4) + offset, values, width=0.4, color=color, label=name.replace("_", "-"))
    axes[1].axhline(CHANCE, color="grey", linestyle=":")
    axes[1].set(
        xlabel="demonstrations in the prompt",
        ylabel="accuracy (query shown in the full prompt)",
        title="accuracy vs examples in the prompt",
    )
    axes[1].legend()
    axes[2].axhline(CHANCE, color="grey", linestyle=":")
    axes[2].set_xticks(range(4), ["k=0", "k=1", "k=2", "k=3+"])
    axes[2].set(ylabel="final accuracy (mean over seeds)", title="by times the query was shown")
    axes[2].legend()
    fig.tight_layout()
    return protocol.save_figure(fig, path)


def run(tier_name: str, output: Path, seeds: int | None = None) -> dict[str, Any]:
    tier = TIERS[tier_name]
    torch.set_num_threads(1)
    seeds = seeds or tier.seeds
    output.mkdir(parents=True, exist_ok=True)
    started = time.time()
    with tempfile.TemporaryDirectory() as workdir:
        runs = [train_one(seed, tier, workdir, fixed_map=None) for seed in range(seeds)]
        control_runs = [
            train_one(
                seed,
                tier,
                workdir,
                fixed_map=np.random.default_rng(20_000 + seed).integers(0, NUM_LABELS, NUM_ITEMS),
            )
            for seed in range(min(seeds, tier.control_seeds))
        ]
    control_zero = [run["final_by_k"]["0"]["accuracy"] for run in control_runs] or [math.nan]
    result = {
        "claim": "in-context learning: a per-sequence item->label map is inferred from the prompt; zero-shot stays at chance",
        "tier": tier_name,
        "settings": asdict(tier),
        "task": {
            "items": NUM_ITEMS,
            "labels": NUM_LABELS,
            "demonstrations": CONTEXT_PAIRS,
            "distinct_items_per_sequence": DISTINCT_ITEMS,
            "unseen_query_share": {"train": UNSEEN_TRAIN, "eval": UNSEEN_EVAL},
            "chance": CHANCE,
        },
        "model": {
            "config": "GPTLMHeadModel, pre-LN, 2 layers, hidden 64, 2 heads",
            "parameters": sum(p.numel() for p in hf_ssl.GPTLMHeadModel(gpt_config()).parameters()),
        },
        "thresholds": {
            "zero_shot_within_standard_errors": ZERO_SHOT_SE,
            "few_shot_accuracy": FEW_SHOT_ACCURACY,
            "seed_share": SEED_SHARE,
            "transition_accuracy": TRANSITION_ACCURACY,
            "control_zero_shot": CONTROL_ZERO_SHOT,
        },
        "in_context": {"runs": runs, "summary": summary_of(runs)},
        "control": {
            "runs": control_runs,
            "summary": summary_of(control_runs) if control_runs else None,
            "zero_shot_mean": float(np.mean(control_zero)),
            "in_weights_as_expected": bool(np.mean(control_zero) >= CONTROL_ZERO_SHOT)
            if control_runs
            else None,
        },
        "verdict": judge_in_context(runs),
        "wall_seconds": time.time() - started,
        "compute": {
            "steps_x_tokens_per_run": tier.steps * tier.batch_size * SEQ_LEN,
            "runs": len(runs) + len(control_runs),
        },
    }
    result["outcome"] = result["verdict"]["outcome"]
    name = "in_context" if tier_name != "long" else "in_context_long"
    protocol.write_json(output / f"{name}.json", result)
    plot(result, output / f"{name}.png")
    logger.info("outcome: %s (%s)", result["outcome"], result["verdict"])
    return result


def main(argv: Sequence[str] | None = None) -> None:
    protocol.command_line(run, TIERS, __doc__ or "", RESULTS, argv)


if __name__ == "__main__":
    main()
