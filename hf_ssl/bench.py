"""Speed and memory of hf_ssl models against their transformers twins, measured side by side.

Protocol (the machines are shared and noisy): one thread, process CPU time, both models in one
process on the same weights (`to_transformers`) and the same inputs, interleaved round by round
(the order alternates), median over rounds after a warm-up. Results are ratios hf_ssl / transformers
(higher is faster; for memory, lower is smaller). Nothing here asserts a time.

Measured per model:
- infer: eval forward, fixed 8 x 128 batch;
- train_fixed: one optimizer step (forward, backward, AdamW) on a fixed 8 x 128 batch with the
  model's pretraining objective; hf_ssl's MLM head projects only masked positions;
- train_variable: the same on 8 paragraphs whose lengths come from the embedded corpus (up to 512);
  transformers pads them, hf_ssl packs them into full rows (PackingCollator; BART and T5:
  source/target pairs with pack_seq2seq_batch), same tokens;
- memory: bytes of activations saved for backward in one training forward (a deterministic proxy of
  peak training memory);
- collator (MLM models): MaskedLMCollator against DataCollatorForLanguageModeling, and both with
  whole-word masking at 512 tokens; (causal models) CausalLMCollator against
  DataCollatorForLanguageModeling(mlm=False) on corpus-length rows.
"""

from __future__ import annotations

import logging
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import transformers

from .conversion import to_transformers
from .data import load_default_corpus
from .models.registry import FAMILIES
from .models.spec import BENCH_MAX_LENGTH, BenchShape
from .objectives import CausalLMCollator, MaskedLMCollator, PackingCollator, pack_batch, pack_seq2seq_batch

logger = logging.getLogger(__name__)

BATCH, LENGTH, MAX_LENGTH = 8, 128, BENCH_MAX_LENGTH


# name -> the shape its family declares (FamilySpec.bench): model class, config, objective, pad id,
# position offset.
MODELS: dict[str, BenchShape] = {
    name: shape for spec in FAMILIES.values() for name, shape in spec.bench.items()
}


@dataclass
class Timer:
    """Median process CPU time per call over interleaved rounds."""

    rounds: int
    warmup: int = 1

    def compare(self, ours: Callable[[], Any], theirs: Callable[[], Any]) -> tuple[float, float]:
        for _ in range(self.warmup):
            ours()
            theirs()
        times: dict[str, list[float]] = {"ours": [], "theirs": []}
        for r in range(self.rounds):
            order = [("ours", ours), ("theirs", theirs)]
            for name, fn in order if r % 2 == 0 else order[::-1]:
                start = time.process_time()
                fn()
                times[name].append(time.process_time() - start)
        return statistics.median(times["ours"]), statistics.median(times["theirs"])


def corpus_lengths(seed: int = 0) -> list[int]:
    """Token lengths of real paragraphs of the embedded corpus (≈1.3 WordPiece tokens a word, + 2)."""
    lengths = [
        min(MAX_LENGTH, int(1.3 * sum(len(s.split()) for s in doc)) + 2) for doc in load_default_corpus()
    ]
    random.Random(seed).shuffle(lengths)
    return lengths


def _mlm_batch(
    vocab: int, lengths: list[int], pad: int, generator: torch.Generator
) -> dict[str, torch.Tensor]:
    collator = MaskedLMCollator(
        vocab_size=vocab,
        mask_token_id=4,
        pad_token_id=pad,
        special_token_ids=(0, 1, 2, 3),
        seed=int(torch.randint(0, 2**31, (), generator=generator)),
    )
    rows = [torch.randint(5, vocab, (n,), generator=generator).tolist() for n in lengths]
    return collator(rows)


def _causal_batch(
    vocab: int, lengths: list[int], pad: int, generator: torch.Generator
) -> dict[str, torch.Tensor]:
    rows = [torch.randint(5, vocab, (n,), generator=generator).tolist() for n in lengths]
    return CausalLMCollator(pad_token_id=pad)(rows)


def _seq2seq_batch(
    vocab: int, lengths: list[int], pad: int, generator: torch.Generator
) -> dict[str, torch.Tensor]:
    """Denoising-shaped batch: the source is the target with 15% of tokens masked (id 4), right-padded."""
    batch = _causal_batch(vocab, lengths, pad, generator)
    ids = batch["input_ids"]
    noise = torch.rand(ids.shape, generator=generator) < 0.15
    return {
        "input_ids": ids.masked_fill(noise & batch["attention_mask"].bool(), 4),
        "attention_mask": batch["attention_mask"],
        "labels": ids.masked_fill(batch["attention_mask"] == 0, -100),
    }


def _train_step(
    model: Any, optimizer: torch.optim.Optimizer, batch: dict[str, torch.Tensor]
) -> Callable[[], None]:
    def step() -> None:
        model(**batch).loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return step


def saved_activation_bytes(model: Any, batch: dict[str, torch.Tensor]) -> int:
    """Bytes of tensors autograd saves for backward during one training forward."""
    total = 0

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        nonlocal total
        total += tensor.numel() * tensor.element_size()
        return tensor

    model.train()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = model(**batch).loss
    loss.backward()
    model.zero_grad(set_to_none=True)
    return total


def collator_throughput(rounds: int, examples: int = 2048, tensors: bool = False) -> tuple[float, float]:
    """Examples per second: MaskedLMCollator vs transformers' DataCollatorForLanguageModeling, on
    rows given as Python lists (a tokenizer's output) or, with ``tensors``, as 1-D tensors (a
    ``datasets`` split in torch format, the usual fixed-length pretraining input)."""
    g = torch.Generator().manual_seed(0)
    rows: list[Any] = [torch.randint(5, 30522, (LENGTH,), generator=g) for _ in range(examples)]
    if not tensors:
        rows = [row.tolist() for row in rows]
    ours = MaskedLMCollator(
        vocab_size=30522, mask_token_id=4, pad_token_id=0, special_token_ids=(1, 2, 3), seed=0
    )
    theirs = transformers.DataCollatorForLanguageModeling(
        tokenizer=_bert_sized_tokenizer(), mlm_probability=0.15
    )
    batches = [rows[i : i + 32] for i in range(0, examples, 32)]
    their_batches = [[{"input_ids": r} for r in batch] for batch in batches]
    t_ours, t_theirs = Timer(rounds).compare(
        lambda: [ours(b) for b in batches], lambda: [theirs(b) for b in their_batches]
    )
    return examples / t_ours, examples / t_theirs


def causal_collator_throughput(rounds: int, examples: int = 2048) -> tuple[float, float]:
    """Examples per second on corpus-length rows: CausalLMCollator against
    DataCollatorForLanguageModeling(mlm=False), both padding a GPT-2-sized batch of 32."""
    g = torch.Generator().manual_seed(0)
    lengths = (corpus_lengths(0) * (examples // 100 + 1))[:examples]
    rows = [torch.randint(5, 50257, (min(n, 256),), generator=g).tolist() for n in lengths]
    ours = CausalLMCollator(pad_token_id=50256)
    tokenizer = _bert_sized_tokenizer()  # a real transformers tokenizer; only its padding is used
    theirs = transformers.DataCollatorForLanguageModeling(tokenizer=tokenizer, mlm=False)
    batches = [rows[i : i + 32] for i in range(0, examples, 32)]
    their_batches = [[{"input_ids": r} for r in batch] for batch in batches]
    t_ours, t_theirs = Timer(rounds).compare(
        lambda: [ours(b) for b in batches], lambda: [theirs(b) for b in their_batches]
    )
    return examples / t_ours, examples / t_theirs


def packing_collator_throughput(rounds: int, examples: int = 2048) -> tuple[float, float]:
    """Examples per second on corpus-length rows: PackingCollator(CausalLMCollator) into 512-token
    rows against DataCollatorWithFlattening, which concatenates a batch into one row with
    restarting position_ids (transformers' padding-free collator), both from Python lists."""
    g = torch.Generator().manual_seed(0)
    lengths = (corpus_lengths(0) * (examples // 100 + 1))[:examples]
    rows = [torch.randint(5, 50257, (n,), generator=g).tolist() for n in lengths]
    ours = PackingCollator(CausalLMCollator(pad_token_id=50256), row_length=MAX_LENGTH, pad_token_id=50256)
    theirs = transformers.DataCollatorWithFlattening(return_position_ids=True)
    batches = [rows[i : i + 32] for i in range(0, examples, 32)]
    their_batches = [[{"input_ids": r} for r in batch] for batch in batches]
    t_ours, t_theirs = Timer(rounds).compare(
        lambda: [ours(b) for b in batches], lambda: [theirs(b) for b in their_batches]
    )
    return examples / t_ours, examples / t_theirs


def causal_collator_throughputs(rounds: int, quick: bool) -> dict[str, dict[str, float]]:
    """The collator columns of a causal-LM row (examples/s, hf_ssl and transformers): padding, and
    packing against transformers' flattening. They do not depend on the model."""
    examples = 512 if quick else 2048
    throughputs = {
        "collator_examples_per_s": causal_collator_throughput(rounds, examples=examples),
        "packing_collator_examples_per_s": packing_collator_throughput(rounds, examples=examples),
    }
    return {key: {"hf_ssl": ours, "transformers": theirs} for key, (ours, theirs) in throughputs.items()}


def mlm_collator_throughputs(rounds: int, quick: bool) -> dict[str, dict[str, float]]:
    """The MLM collator columns of a benchmark row (examples/s, hf_ssl and transformers): list rows,
    tensor rows and whole-word masking at 512 tokens. They do not depend on the model."""
    examples = 512 if quick else 2048
    throughputs = {
        "collator_examples_per_s": collator_throughput(rounds, examples=examples),
        "collator_tensor_rows_examples_per_s": collator_throughput(rounds, examples=examples, tensors=True),
        "wwm_collator_examples_per_s": whole_word_throughput(rounds, examples=64 if quick else 256),
    }
    return {key: {"hf_ssl": ours, "transformers": theirs} for key, (ours, theirs) in throughputs.items()}


def _word_segmented_rows(
    examples: int, length: int, generator: torch.Generator
) -> list[tuple[list[int], list[int]]]:
    """Random ids with word ids at ~1.3 WordPiece tokens a word (BERT's English rate)."""
    rows = []
    for _ in range(examples):
        ids = torch.randint(5, 30522, (length,), generator=generator).tolist()
        starts = torch.rand(length, generator=generator) < 1 / 1.3  # (t,)
        starts[0] = True
        rows.append((ids, (starts.long().cumsum(0) - 1).tolist()))
    return rows


def whole_word_throughput(rounds: int, examples: int = 256, length: int = MAX_LENGTH) -> tuple[float, float]:
    """Examples per second at `length` tokens: MaskedLMCollator(whole_word_mask=True) against
    DataCollatorForLanguageModeling(whole_word_mask=True), which reads word boundaries from
    offset mappings (here built so that its words are exactly ours)."""
    rows = _word_segmented_rows(examples, length, torch.Generator().manual_seed(0))
    ours = MaskedLMCollator(
        vocab_size=30522,
        mask_token_id=4,
        pad_token_id=0,
        special_token_ids=(1, 2, 3),
        whole_word_mask=True,
        seed=0,
    )
    theirs = transformers.DataCollatorForLanguageModeling(
        tokenizer=_bert_sized_tokenizer(), whole_word_mask=True, mlm_probability=0.15
    )
    our_features = [{"input_ids": ids, "word_ids": words} for ids, words in rows]
    their_features = []
    for ids, words in rows:
        # A token continues a word when it starts where the previous one ended.
        offsets, end = [], 0
        for i, word in enumerate(words):
            start = end if i and word == words[i - 1] else end + 1
            offsets.append((start, start + 1))
            end = start + 1
        their_features.append(
            {"input_ids": ids, "offset_mapping": offsets, "special_tokens_mask": [0] * length}
        )
    size = 32
    t_ours, t_theirs = Timer(rounds).compare(
        lambda: [ours(our_features[i : i + size]) for i in range(0, examples, size)],
        lambda: [theirs(their_features[i : i + size]) for i in range(0, examples, size)],
    )
    return examples / t_ours, examples / t_theirs


def _bert_sized_tokenizer() -> transformers.PreTrainedTokenizerBase:
    """A real transformers BERT tokenizer with BERT's 30,522-entry vocabulary layout (specials first)."""
    from tokenizers import Tokenizer, models

    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4}
    vocab.update({f"w{i}": i for i in range(5, 30522)})
    backend = Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]"))
    return transformers.BertTokenizer(
        tokenizer_object=backend,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )


def benchmark(name: str, *, quick: bool = False, seed: int = 0) -> dict[str, Any]:
    """Run every measurement for one model; return throughputs and hf_ssl / transformers ratios."""
    if name not in MODELS:
        raise ValueError(f"unknown benchmark model {name!r}; expected one of {sorted(MODELS)}")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _benchmark(name, quick, seed)
    finally:
        torch.set_num_threads(threads)


def _benchmark(name: str, quick: bool, seed: int) -> dict[str, Any]:
    shape = MODELS[name]
    objective, pad, offset = shape.objective, shape.pad_token_id, shape.position_offset
    torch.manual_seed(seed)
    config_class: Any = shape.head.config_class
    ours: Any = shape.head(config_class(**shape.config))
    ours.config._attn_implementation = "sdpa"
    theirs = to_transformers(ours)
    vocab = ours.config.vocab_size
    rounds = 3 if quick else 7
    timer = Timer(rounds)
    g = torch.Generator().manual_seed(seed)
    make = {"mlm": _mlm_batch, "causal": _causal_batch, "seq2seq": _seq2seq_batch}[objective]
    fixed = make(vocab, [LENGTH] * BATCH, pad, g)
    if objective == "causal":
        fixed["labels"] = fixed["input_ids"].clone()
    lengths = corpus_lengths(seed)[:BATCH]
    variable = make(vocab, lengths, pad, g)
    if objective == "seq2seq":  # packed (source, target) pairs, sides kept apart
        variable["decoder_input_ids"] = ours.prepare_decoder_input_ids_from_labels(variable["labels"])
        packed = pack_seq2seq_batch(variable, MAX_LENGTH, MAX_LENGTH, pad_token_id=pad)
        del variable["decoder_input_ids"]  # transformers' twin shifts the labels itself
    else:
        packed = pack_batch(variable, MAX_LENGTH, pad_token_id=pad, position_offset=offset)
    real_tokens = sum(lengths)
    result: dict[str, Any] = {
        "model": name,
        "objective": objective,
        "quick": quick,
        "threads": 1,
        "parameters": ours.num_parameters(),
        "variable_lengths": lengths,
        "padding_waste": 1 - real_tokens / (BATCH * max(lengths)),
    }

    ours.eval()
    theirs.eval()
    inference_inputs = {k: fixed[k] for k in ("input_ids", "attention_mask")}
    if objective == "seq2seq":  # teacher-forced decoding of the target
        inference_inputs["decoder_input_ids"] = fixed["labels"].clamp(min=0)
    with torch.no_grad():
        t_ours, t_theirs = timer.compare(lambda: ours(**inference_inputs), lambda: theirs(**inference_inputs))
    result["infer_tokens_per_s"] = {
        "hf_ssl": BATCH * LENGTH / t_ours,
        "transformers": BATCH * LENGTH / t_theirs,
    }

    ours.train()
    theirs.train()
    opt_ours = torch.optim.AdamW(ours.parameters(), lr=1e-5)
    opt_theirs = torch.optim.AdamW(theirs.parameters(), lr=1e-5)
    t_ours, t_theirs = timer.compare(
        _train_step(ours, opt_ours, fixed), _train_step(theirs, opt_theirs, fixed)
    )
    result["train_fixed_tokens_per_s"] = {
        "hf_ssl": BATCH * LENGTH / t_ours,
        "transformers": BATCH * LENGTH / t_theirs,
    }
    t_ours, t_theirs = timer.compare(
        _train_step(ours, opt_ours, packed), _train_step(theirs, opt_theirs, variable)
    )
    result["train_variable_tokens_per_s"] = {
        "hf_ssl": real_tokens / t_ours,
        "transformers": real_tokens / t_theirs,
    }
    result["saved_activation_bytes"] = {
        "hf_ssl": saved_activation_bytes(ours, fixed),
        "transformers": saved_activation_bytes(theirs, fixed),
    }
    if objective == "mlm":
        result.update(mlm_collator_throughputs(rounds, quick))
    if objective == "causal":
        result.update(causal_collator_throughputs(rounds, quick))
    ratio = lambda key: result[key]["hf_ssl"] / result[key]["transformers"]  # noqa: E731
    result.update(
        infer_ratio=ratio("infer_tokens_per_s"),
        train_ratio_fixed=ratio("train_fixed_tokens_per_s"),
        train_ratio_variable=ratio("train_variable_tokens_per_s"),
        memory_ratio=ratio("saved_activation_bytes"),
    )
    if "collator_examples_per_s" in result:
        result["collator_ratio"] = ratio("collator_examples_per_s")
    if "collator_tensor_rows_examples_per_s" in result:
        result["collator_ratio_tensor_rows"] = ratio("collator_tensor_rows_examples_per_s")
    if "wwm_collator_examples_per_s" in result:
        result["wwm_collator_ratio"] = ratio("wwm_collator_examples_per_s")
    if "packing_collator_examples_per_s" in result:
        result["packing_collator_ratio"] = ratio("packing_collator_examples_per_s")
    return result


def markdown_table(results: list[dict[str, Any]]) -> str:
    """A README table of the ratios (hf_ssl / transformers)."""
    lines = [
        "| model | train, fixed 8x128 | train, corpus lengths | inference | activation memory | collator "
        "(list rows / tensor rows) | whole-word collator, 512 | packing collator |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        collator = f"{r['collator_ratio']:.1f}x" if "collator_ratio" in r else "n/a"
        if "collator_ratio_tensor_rows" in r:
            collator += f" / {r['collator_ratio_tensor_rows']:.1f}x"
        wwm = f"{r['wwm_collator_ratio']:.1f}x" if "wwm_collator_ratio" in r else "n/a"
        packing = f"{r['packing_collator_ratio']:.1f}x" if "packing_collator_ratio" in r else "n/a"
        lines.append(
            f"| {r['model']} | {r['train_ratio_fixed']:.2f}x | {r['train_ratio_variable']:.2f}x | "
            f"{r['infer_ratio']:.2f}x | {r['memory_ratio']:.2f}x | {collator} | {wwm} | {packing} |"
        )
    return "\n".join(lines)


__all__ = ["MODELS", "benchmark", "markdown_table"]
