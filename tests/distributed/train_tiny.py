"""Train a tiny BERT (MLM) and a tiny GPT (causal LM) with Trainer; run alone or under torchrun.

Launched by tests/distributed/test_torchrun.py as
``python -m torch.distributed.run --nproc_per_node 2 ... train_tiny.py --out DIR``
(CPU, gloo: Trainer/accelerate pick gloo when there is no accelerator). Rank 0 writes ``DIR/result.pt``:
per mode and model the losses and the final full state dict. The same functions, called in one
process with the whole global batch, are the reference. It also records every rank's stream-mode
masks for one batch, which must differ between ranks.

- DDP: Trainer, which wraps the model in DistributedDataParallel under torchrun.
- FSDP: accelerate 1.15 enables FSDP only on accelerator devices; on CPU ``Trainer(fsdp=True)``
  silently trains with DDP instead (recorded as ``trainer_fsdp_on_cpu``). So the FSDP run applies
  torch's own ``fully_shard`` (FSDP2) to the model's ``_no_split_modules`` layers, as accelerate
  would on GPUs, and trains in a plain loop.

Data is fixed up front so that only the parallelism differs: MLM rows are masked once by
MaskedLMCollator (keyed noise is per batch, so a rank's half batch would draw other masks than the
whole batch), and every row has the same length, so every rank holds the same number of predicted
tokens. Dropout is off: ranks draw from different RNG streams.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import torch
from transformers import Trainer, TrainingArguments, default_data_collator

import hf_ssl
from hf_ssl.objectives import MaskedLMCollator
from hf_ssl.objectives.rng import collator_rngs

VOCAB, PAD, MASK = 96, 0, 1
NUM_EXAMPLES, LENGTH = 32, 12
GLOBAL_BATCH, MAX_STEPS = 8, 4
LEARNING_RATE = 1e-2
SEED = 0
MODELS = ("bert", "gpt")


def tiny_model(name: str) -> torch.nn.Module:
    sizes: dict[str, Any] = {
        "vocab_size": VOCAB,
        "hidden_size": 32,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "intermediate_size": 64,
        "max_position_embeddings": 32,
        "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0,
    }
    if name == "bert":
        return hf_ssl.BertForMaskedLM(hf_ssl.BertConfig(**sizes, pad_token_id=PAD))
    config = hf_ssl.GPTConfig(
        **sizes, embedding_dropout_prob=0.0, pad_token_id=PAD, bos_token_id=2, eos_token_id=3
    )
    return hf_ssl.GPTLMHeadModel(config)


def dataset(name: str) -> list[dict[str, list[int]]]:
    generator = torch.Generator().manual_seed(SEED)
    ids = torch.randint(4, VOCAB, (NUM_EXAMPLES, LENGTH), generator=generator)  # (n, t)
    if name == "gpt":
        return [{"input_ids": row, "labels": row} for row in ids.tolist()]
    collator = MaskedLMCollator(vocab_size=VOCAB, mask_token_id=MASK, pad_token_id=PAD, seed=SEED)
    for rng in collator_rngs(collator):
        rng.set_keyed()  # stream noise mixes in the rank; every rank needs these very rows
    batch = collator(ids.tolist())
    return [
        {key: batch[key][i].tolist() for key in ("input_ids", "attention_mask", "labels")}
        for i in range(len(ids))
    ]


def train(name: str, output: Path, *, world_size: int = 1) -> dict[str, Any]:
    """Trainer (DDP under torchrun): MAX_STEPS optimizer steps of GLOBAL_BATCH rows over ``world_size`` ranks."""
    torch.manual_seed(SEED)
    model = tiny_model(name)
    args = TrainingArguments(
        output_dir=str(output / name),
        max_steps=MAX_STEPS,
        per_device_train_batch_size=GLOBAL_BATCH // world_size,
        learning_rate=LEARNING_RATE,
        logging_steps=1,
        save_strategy="no",
        seed=SEED,
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
    )
    trainer = Trainer(
        model=model, args=args, train_dataset=dataset(name), data_collator=default_data_collator
    )
    trainer.train()
    return {
        "losses": [entry["loss"] for entry in trainer.state.log_history if "loss" in entry],
        "state": {key: value.detach().clone() for key, value in model.state_dict().items()},
        "wrapper": type(trainer.model_wrapped).__name__,
    }


def train_sharded(name: str, *, rank: int = 0, world_size: int = 1) -> dict[str, Any]:
    """FSDP2 (``fully_shard`` on every ``_no_split_modules`` layer, then the root) in a plain loop.

    With ``world_size=1`` nothing is sharded: that is the reference. Rows are taken in order, each
    rank a contiguous slice of the global batch; FSDP averages gradients over ranks, which equals the
    global mean because every rank predicts the same number of tokens.
    """
    torch.manual_seed(SEED)
    model = tiny_model(name)
    wrapped: list[str] = []
    if world_size > 1:
        from torch.distributed.fsdp import FSDPModule, fully_shard

        layer_classes = set(model._no_split_modules)
        # A tied output projection shares its weight with a module inside one of those layers
        # (BERT's TokenEmbeddings); FSDP2 needs both in one group, as accelerate's
        # fsdp2_prepare_model groups tied input and output embeddings.
        output = model.get_output_embeddings()
        for module in model.modules():
            if type(module).__name__ not in layer_classes:
                continue
            if output is not None and any(p is output.weight for p in module.parameters()):
                fully_shard([module, output])
            else:
                fully_shard(module)
        fully_shard(model)
        wrapped = sorted({type(m).__name__ for m in model.modules() if isinstance(m, FSDPModule)})
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE)
    rows = dataset(name)
    local = GLOBAL_BATCH // world_size
    losses = []
    for step in range(MAX_STEPS):
        start = step * GLOBAL_BATCH + rank * local
        loss = model(**default_data_collator(rows[start : start + local])).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        reported = loss.detach().clone()
        if world_size > 1:
            torch.distributed.all_reduce(reported)
            reported /= world_size
        losses.append(float(reported))
    state = {}
    for key, value in model.state_dict().items():
        full = (
            value.full_tensor() if hasattr(value, "full_tensor") else value
        )  # DTensor shards -> (full shape)
        state[key] = full.detach().clone()
    return {"losses": losses, "state": state, "wrapped": wrapped}


def trainer_fsdp_is_enabled_on_cpu(output: Path) -> bool:
    """Whether Trainer(fsdp=True) on CPU really shards (accelerate 1.15 drops the plugin on MULTI_CPU)."""
    args = TrainingArguments(
        output_dir=str(output / "probe"),
        use_cpu=True,
        report_to=[],
        fsdp=True,
        # sync_module_states needs an accelerator device to materialise parameters on.
        fsdp_config={"version": 2, "sync_module_states": False},
    )
    trainer = Trainer(model=tiny_model("gpt"), args=args)
    return bool(trainer.is_fsdp_enabled)


def stream_masks_per_rank() -> list[list[list[int]]]:
    """Every rank's stream-mode masks for the same rows (Trainer seeds every rank alike)."""
    collator = MaskedLMCollator(vocab_size=VOCAB, mask_token_id=MASK, pad_token_id=PAD, seed=SEED)
    rows = [list(range(4, 4 + LENGTH))] * 2
    masks = (collator(rows)["labels"] != -100).long().tolist()
    gathered: list[Any] = [None] * torch.distributed.get_world_size()
    torch.distributed.all_gather_object(gathered, masks)
    return gathered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    options = parser.parse_args()
    torch.set_num_threads(1)
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    results: dict[str, Any] = {
        "ddp": {name: train(name, options.out, world_size=world_size) for name in MODELS},
        "fsdp": {name: train_sharded(name, rank=rank, world_size=world_size) for name in MODELS},
        "trainer_fsdp_on_cpu": trainer_fsdp_is_enabled_on_cpu(options.out),
        "stream_masks": stream_masks_per_rank(),
        "world_size": world_size,
        "backend": torch.distributed.get_backend(),
    }
    if rank == 0:
        torch.save(results, options.out / "result.pt")
    # DistributedDataParallel's reducer keeps its gloo process group, and the group's threads, alive
    # past destroy_process_group(); the C++ static destructors at interpreter exit then meet joinable
    # threads ("terminate called without an active exception": SIGABRT in about one launch in six).
    # Every rank waits for the others, flushes, and leaves without running those destructors.
    torch.distributed.barrier()
    torch.distributed.destroy_process_group()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
