"""Claim 5: ELMo's layers serve different tasks — syntax lower, word sense higher.

Peters et al. 2018 (ELMo) §5.3: a linear probe on the first biLSTM layer tags parts of speech
better than one on the second, while word-sense disambiguation works better from the second; the
learnt scalar-mix weights differ by task accordingly. In miniature (project notes on reproductions
§16.e): a tiny hf_ssl ELMo biLM (`ElmoForPreTraining`, char CNN + 2 projected LSTM layers,
`hf_ssl.objectives.CharLMCollator`, transformers' Trainer) pretrained on WordNet 3.0's definitions
and examples (`hf_ssl.data.read_wordnet`), then frozen. Probe data are WordNet's own sense-labelled
words in context (`hf_ssl.data.sense_occurrences`: a lemma inside an example of its synset):

- syntactic: part of speech (n / v / a / r) of lemmas that occur with two or more parts of speech;
- semantic: supersense (WordNet lexicographer file, e.g. noun.artifact) of lemmas that occur with
  two or more supersenses.

Sentences are split 80/20 into probe-training and probe-test sets, and every probe sentence is kept
out of the biLM's training text. Probes: a linear softmax on layer 0 (char CNN), 1 or 2 alone, and
ELMo's scalar mix (hf_ssl's `ScalarMix`, softmax weights + γ) trained jointly with the linear
layer; the mix's weights come out through `hf_ssl.analysis.scalar_mix_weights`. Probes are trained
in a plain full-batch loop on features extracted once (the biLM is frozen; Trainer would re-run it
for nothing). Controls: the same biLM at random initialisation; layer 0 is the char-CNN baseline.

Run the full tier by hand (about 13 minutes on one core; needs Debian's wordnet-base):

    python benchmarks/reproductions/elmo_layers.py --tier full
"""

from __future__ import annotations

import logging
import math
import tempfile
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from transformers import Trainer, TrainingArguments

import hf_ssl
from hf_ssl.analysis import scalar_mix_weights
from hf_ssl.data import read_wordnet, sense_occurrences
from hf_ssl.data.wordnet import split_words
from hf_ssl.layers.scalar_mix import ScalarMix
from hf_ssl.objectives import CharLMCollator, batch_to_char_ids, build_word_vocab

try:  # run as a script or imported from the package
    from benchmarks.reproductions import protocol
except ImportError:  # pragma: no cover - the script's own directory is on sys.path instead
    import protocol  # type: ignore[no-redef]

logger = logging.getLogger(__name__)

RESULTS = Path(__file__).parent / "results"
MAX_WORDS = 32
LAYERS = ("char CNN", "LSTM 1", "LSTM 2")
MIN_CLASS = 20  # supersense classes with fewer probe-training examples are dropped

# ---- Pre-registered before the full run (never edited after it) ------------------------------
# Difference of differences [POS(L1) - POS(L2)] - [sense(L1) - sense(L2)] > 0 with its bootstrap
# 95% interval above 0, in at least this share of the biLM seeds ...
SEED_SHARE = 2 / 3
# ... and the scalar mix puts more softmax weight on layer 2 for sense than for POS (seed mean).
# Sanity gate: held-out biLM perplexity below the unigram perplexity divided by this.
PERPLEXITY_GATE = 3.0
BOOTSTRAP = 1000
# -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tier:
    name: str
    lm_sentences: int | None  # biLM training sentences (None: all)
    vocab_size: int
    steps: int
    batch_size: int
    probe_limit: int | None  # occurrences per task (None: all)
    probe_epochs: int
    seeds: int
    probe_seeds: int


TIERS = {
    "smoke": Tier("smoke", 3000, 2000, 4, 8, 300, 20, 1, 1),
    "full": Tier("full", None, 8000, 250, 32, 6000, 300, 3, 3),
}


def elmo_config(vocab_size: int) -> hf_ssl.ElmoConfig:
    """§16.e: char CNN (16-d chars, filters (1,32),(2,32),(3,64),(4,128)), 1 highway, projection 64,
    2 LSTM layers of 256 cells projected to 64 per direction."""
    return hf_ssl.ElmoConfig(
        char_embedding_dim=16,
        filters=[[1, 32], [2, 32], [3, 64], [4, 128]],
        n_highway=1,
        projection_dim=64,
        lstm_dim=256,
        n_layers=2,
        vocab_size=vocab_size,
        dropout=0.1,
    )


def probe_tasks(limit: int | None) -> tuple[dict[str, list[dict[str, Any]]], set[tuple[str, ...]]]:
    """The POS and supersense probe sets (each occurrence: words, span, label) and their sentences."""
    occurrences = list(sense_occurrences(read_wordnet()))
    by_lemma_pos: dict[str, set[str]] = defaultdict(set)
    by_lemma_sense: dict[str, set[str]] = defaultdict(set)
    for occurrence in occurrences:
        lemma = occurrence.lemma.lower()
        by_lemma_pos[lemma].add(occurrence.synset.pos)
        by_lemma_sense[lemma].add(occurrence.synset.lexname)
    tasks: dict[str, list[dict[str, Any]]] = {"pos": [], "sense": []}
    for occurrence in occurrences:
        if occurrence.end > MAX_WORDS:
            continue
        lemma = occurrence.lemma.lower()
        item = {"words": list(occurrence.words[:MAX_WORDS]), "span": (occurrence.start, occurrence.end)}
        if len(by_lemma_pos[lemma]) >= 2:
            tasks["pos"].append({**item, "label": occurrence.synset.pos})
        if len(by_lemma_sense[lemma]) >= 2:
            tasks["sense"].append({**item, "label": occurrence.synset.lexname})
    rng = np.random.default_rng(0)
    for name in tasks:
        if limit is not None and len(tasks[name]) > limit:
            keep = sorted(rng.choice(len(tasks[name]), limit, replace=False))
            tasks[name] = [tasks[name][i] for i in keep]
    sentences = {tuple(item["words"]) for items in tasks.values() for item in items}
    return tasks, sentences


def split_by_sentence(items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """80/20 by a hash of the sentence, so one sentence never sits on both sides."""
    bucket = lambda item: zlib.crc32(" ".join(item["words"]).encode()) % 5  # noqa: E731 (stable across runs)
    return [i for i in items if bucket(i) != 0], [i for i in items if bucket(i) == 0]


def lm_sentences(excluded: set[tuple[str, ...]], limit: int | None) -> list[list[str]]:
    """WordNet definitions and examples as word lists, minus every probe sentence."""
    sentences = []
    for synset in read_wordnet():
        for text in (synset.definition, *synset.examples):
            words = split_words(text)[:MAX_WORDS]
            if len(words) >= 2 and tuple(words) not in excluded:
                sentences.append(words)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(sentences))
    sentences = [sentences[i] for i in order]
    return sentences if limit is None else sentences[:limit]


@torch.no_grad()
def perplexity(model: Any, collator: CharLMCollator, sentences: list[list[str]]) -> float:
    model.eval()
    total, batches = 0.0, 0
    for start in range(0, len(sentences), 64):
        out = model(**collator(sentences[start : start + 64]))
        total += 0.5 * (float(out.forward_loss) + float(out.backward_loss))
        batches += 1
    return math.exp(total / batches)


def unigram_perplexity(train: list[list[str]], held: list[list[str]], vocab: dict[str, int]) -> float:
    """exp(cross-entropy) of held-out words under training-set word frequencies (out-of-vocabulary
    words pooled into <UNK>, as the biLM's softmax sees them)."""
    unk = "<UNK>"
    fold = lambda w: w if w in vocab else unk  # noqa: E731
    counts = Counter(fold(w) for s in train for w in [*s, "</S>"])
    total = sum(counts.values())
    held_words = [fold(w) for s in held for w in [*s, "</S>"]]
    nll = -sum(math.log(counts.get(w, 0.5) / total) for w in held_words) / len(held_words)
    return math.exp(nll)


def pretrain(seed: int, sentences: list[list[str]], vocab: dict[str, int], tier: Tier, workdir: str) -> Any:
    torch.manual_seed(seed)
    model = hf_ssl.ElmoForPreTraining(elmo_config(len(vocab)))
    if tier.steps == 0:
        return model
    args = TrainingArguments(
        output_dir=workdir,
        max_steps=tier.steps,
        per_device_train_batch_size=tier.batch_size,
        learning_rate=2e-3,
        max_grad_norm=10.0,  # bilm-tf's all_clip_norm_val
        warmup_steps=max(1, tier.steps // 20),
        save_strategy="no",
        logging_steps=max(1, tier.steps // 5),
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
        seed=seed,
        dataloader_num_workers=0,
        remove_unused_columns=False,  # the collator reads the raw word lists
    )
    Trainer(
        model=model,
        args=args,
        train_dataset=sentences,
        data_collator=CharLMCollator(vocab, max_length=MAX_WORDS),
    ).train()
    return model


@torch.no_grad()
def features(model: Any, items: list[dict[str, Any]]) -> torch.Tensor:
    """(n, 3, D): each layer's vector of the target lemma, averaged over its words."""
    model.eval()
    out = []
    for start in range(0, len(items), 128):
        chunk = items[start : start + 128]
        char_ids = batch_to_char_ids([item["words"] for item in chunk])
        mask = (char_ids > 0).any(-1).long()  # (b, t)
        layers = model.elmo(input_ids=char_ids, attention_mask=mask).hidden_states  # 3 x (b, t, D)
        stacked = torch.stack(layers, dim=1)  # (b, 3, t, D)
        for row, item in enumerate(chunk):
            start_word, end_word = item["span"]
            out.append(stacked[row, :, start_word:end_word].mean(dim=1))  # (3, D)
    return torch.stack(out)


class Probe(nn.Module):
    """A linear softmax on one layer, or on ELMo's scalar mix of all three."""

    def __init__(self, dim: int, classes: int, layer: int | None) -> None:
        super().__init__()
        self.layer = layer
        self.mix = ScalarMix(len(LAYERS)) if layer is None else None
        self.linear = nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x (n, 3, D)
        if self.mix is None:
            return self.linear(x[:, self.layer])
        layers = [x[:, j].unsqueeze(1) for j in range(len(LAYERS))]  # 3 x (n, 1, D)
        return self.linear(self.mix(layers).squeeze(1))


def train_probe(
    x: torch.Tensor, y: torch.Tensor, layer: int | None, classes: int, epochs: int, seed: int
) -> Probe:
    torch.manual_seed(seed)
    probe = Probe(x.shape[-1], classes, layer)
    optimizer = torch.optim.Adam(probe.parameters(), lr=1e-2, weight_decay=1e-4)
    for _ in range(epochs):  # full batch: a few thousand examples
        loss = nn.functional.cross_entropy(probe(x), y)
        if probe.mix is not None:
            loss = loss + 1e-3 * probe.mix.l2_penalty()  # ELMo's λ on the mix weights
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return probe


def evaluate_task(
    train_x: torch.Tensor,
    train_y: torch.Tensor,
    test_x: torch.Tensor,
    test_y: torch.Tensor,
    classes: int,
    tier: Tier,
) -> dict[str, Any]:
    """Per probe (layer 0, 1, 2, mix): test correctness per item (mean over probe seeds) and mix weights."""
    correct: dict[str, np.ndarray] = {}
    weights = []
    for name, layer in (("L0", 0), ("L1", 1), ("L2", 2), ("mix", None)):
        hits = np.zeros(len(test_y))
        for seed in range(tier.probe_seeds):
            probe = train_probe(train_x, train_y, layer, classes, tier.probe_epochs, seed)
            with torch.no_grad():
                hits += (probe(test_x).argmax(-1) == test_y).float().numpy()
            if layer is None:
                weights.append(next(iter(scalar_mix_weights(probe).values()))["weights"])
        correct[name] = hits / tier.probe_seeds
    return {"correct": correct, "mix_weights": np.mean(weights, axis=0).tolist()}


def diff_of_differences(
    pos: dict[str, np.ndarray], sense: dict[str, np.ndarray], rng: np.random.Generator
) -> dict[str, Any]:
    """[POS(L1) - POS(L2)] - [sense(L1) - sense(L2)] and a bootstrap 95% interval over test items."""

    def value(p: np.ndarray, s: np.ndarray) -> float:
        return float((pos["L1"][p] - pos["L2"][p]).mean() - (sense["L1"][s] - sense["L2"][s]).mean())

    n_pos, n_sense = len(pos["L1"]), len(sense["L1"])
    point = value(np.arange(n_pos), np.arange(n_sense))
    samples = [
        value(rng.integers(0, n_pos, n_pos), rng.integers(0, n_sense, n_sense)) for _ in range(BOOTSTRAP)
    ]
    low, high = np.percentile(samples, [2.5, 97.5])
    return {"value": point, "ci": [float(low), float(high)]}


def run(tier_name: str, output: Path, seeds: int | None = None) -> dict[str, Any]:
    tier = TIERS[tier_name]
    torch.set_num_threads(1)
    output.mkdir(parents=True, exist_ok=True)
    started = time.time()
    tasks, probe_sentences = probe_tasks(tier.probe_limit)
    splits = {name: split_by_sentence(items) for name, items in tasks.items()}
    # Labels: supersenses with too few probe-training examples are dropped from both sides.
    label_sets = {}
    for name, (train, test) in splits.items():
        counts = Counter(item["label"] for item in train)
        kept = sorted(label for label, n in counts.items() if n >= (MIN_CLASS if tier.name == "full" else 1))
        label_sets[name] = kept
        splits[name] = ([i for i in train if i["label"] in kept], [i for i in test if i["label"] in kept])
    sentences = lm_sentences(probe_sentences, tier.lm_sentences)
    held = sentences[:500]
    train_sentences = sentences[500:]
    vocab = build_word_vocab(train_sentences, max_size=tier.vocab_size)
    collator = CharLMCollator(vocab, max_length=MAX_WORDS)
    unigram = unigram_perplexity(train_sentences, held, vocab)
    rng = np.random.default_rng(0)
    arms: dict[str, list[dict[str, Any]]] = {"pretrained": [], "random_init": []}
    with tempfile.TemporaryDirectory() as workdir:
        for seed in range(seeds or tier.seeds):
            for arm in arms:
                t0 = time.process_time()
                model = pretrain(seed, train_sentences, vocab, tier, workdir) if arm == "pretrained" else None
                if model is None:
                    torch.manual_seed(seed)
                    model = hf_ssl.ElmoForPreTraining(elmo_config(len(vocab)))
                pretrain_seconds = time.process_time() - t0
                results: dict[str, Any] = {
                    "seed": seed,
                    "perplexity": perplexity(model, collator, held),
                    "pretrain_cpu_seconds": pretrain_seconds,
                }
                for name, (train, test) in splits.items():
                    index = {label: i for i, label in enumerate(label_sets[name])}
                    train_y = torch.tensor([index[i["label"]] for i in train])
                    test_y = torch.tensor([index[i["label"]] for i in test])
                    results[name] = evaluate_task(
                        features(model, train), train_y, features(model, test), test_y, len(index), tier
                    )
                dd = diff_of_differences(results["pos"]["correct"], results["sense"]["correct"], rng)
                arms[arm].append(
                    {
                        "seed": seed,
                        "perplexity": results["perplexity"],
                        "pretrain_cpu_seconds": pretrain_seconds,
                        "accuracy": {
                            task: {
                                probe: float(results[task]["correct"][probe].mean())
                                for probe in ("L0", "L1", "L2", "mix")
                            }
                            for task in ("pos", "sense")
                        },
                        "mix_weights": {task: results[task]["mix_weights"] for task in ("pos", "sense")},
                        "diff_of_differences": dd,
                    }
                )
    pretrained = arms["pretrained"]
    need = int(np.ceil(SEED_SHARE * len(pretrained) - 1e-9))
    positive = sum(run["diff_of_differences"]["ci"][0] > 0 for run in pretrained)
    l2_sense = float(np.mean([run["mix_weights"]["sense"][2] for run in pretrained]))
    l2_pos = float(np.mean([run["mix_weights"]["pos"][2] for run in pretrained]))
    gate = all(run["perplexity"] < unigram / PERPLEXITY_GATE for run in pretrained)
    claim_holds = positive >= need and l2_sense > l2_pos
    outcome = "reproduced" if claim_holds else "not reproduced"
    if not gate:
        outcome = f"exploratory (perplexity gate failed): {outcome} as measured"
    summary = {
        arm: {
            task: {
                probe: protocol.summarize([run["accuracy"][task][probe] for run in runs])
                for probe in ("L0", "L1", "L2", "mix")
            }
            for task in ("pos", "sense")
        }
        for arm, runs in arms.items()
    }
    result = {
        "claim": "lower biLM layers serve syntax (POS), higher ones word sense (supersense)",
        "tier": tier_name,
        "settings": asdict(tier),
        "data": {
            task: {"train": len(train), "test": len(test), "classes": label_sets[task]}
            for task, (train, test) in splits.items()
        },
        "lm": {
            "train_sentences": len(train_sentences),
            "held_out_sentences": len(held),
            "vocab": len(vocab),
            "unigram_perplexity": unigram,
        },
        "thresholds": {
            "seed_share": SEED_SHARE,
            "perplexity_gate_divisor": PERPLEXITY_GATE,
            "bootstrap": BOOTSTRAP,
        },
        "arms": arms,
        "summary": summary,
        "mix_weight_on_layer_2": {"pos": l2_pos, "sense": l2_sense},
        "seeds_with_positive_diff_of_differences": positive,
        "gate_passed": gate,
        "outcome": outcome,
        "wall_seconds": time.time() - started,
    }
    protocol.write_json(output / "elmo_layers.json", result)
    plot(result, output / "elmo_layers.png")
    logger.info("outcome: %s", outcome)
    return result


def plot(result: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    probes = ["L0", "L1", "L2", "mix"]
    for ax, task in zip(axes[:2], ("pos", "sense"), strict=True):
        for offset, arm, color in ((-0.2, "pretrained", "C0"), (0.2, "random_init", "C7")):
            stats = result["summary"][arm][task]
            ax.bar(
                np.arange(4) + offset,
                [stats[p]["mean"] for p in probes],
                width=0.4,
                yerr=[stats[p]["std"] for p in probes],
                color=color,
                label=arm.replace("_", " "),
            )
        low = min(
            result["summary"][a][task][p]["mean"] for a in ("pretrained", "random_init") for p in probes
        )
        ax.set_ylim(max(0.0, low - 0.1), None)
        ax.set_xticks(range(4), ["char CNN", "LSTM 1", "LSTM 2", "scalar mix"])
        ax.set(
            ylabel="probe test accuracy",
            title={"pos": "part of speech (syntax)", "sense": "supersense (semantics)"}[task],
        )
        ax.legend(fontsize=8)
    weights = {
        task: np.mean([run["mix_weights"][task] for run in result["arms"]["pretrained"]], axis=0)
        for task in ("pos", "sense")
    }
    for offset, task, color in ((-0.2, "pos", "C1"), (0.2, "sense", "C2")):
        axes[2].bar(np.arange(3) + offset, weights[task], width=0.4, color=color, label=task)
    axes[2].set_xticks(range(3), list(LAYERS))
    axes[2].set(ylabel="softmax weight", title="learnt scalar-mix weights (pretrained biLM)")
    axes[2].legend()
    fig.tight_layout()
    return protocol.save_figure(fig, path)


def main(argv: Sequence[str] | None = None) -> None:
    protocol.command_line(run, TIERS, __doc__ or "", RESULTS, argv)


if __name__ == "__main__":
    main()
