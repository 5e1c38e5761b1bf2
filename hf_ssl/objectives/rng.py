"""A collator's random numbers: its own generator, reseeded per DataLoader worker and DDP rank, or
keyed by the batch for exact Trainer resumes (`CollatorRNG`), and the helpers that find and steer
the generators a collator holds (`collator_rngs`, `set_collator_epoch`)."""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Sequence
from typing import Any

import torch

from hf_ssl.objectives.rows import check_int

__all__ = ["CollatorRNG", "batch_seed", "collator_rngs", "process_rank", "set_collator_epoch"]


class CollatorRNG:
    """A collator's own ``torch.Generator``: a stream by default, or keyed by the batch for exact resumes.

    Stream mode (the default) draws fresh noise on every call; the generator is reseeded once per
    DataLoader worker, because each worker holds a copy of the collator: without a reseed every worker
    would replay the same noise. A seeded collator reseeds a worker from ``(seed, epoch, worker id)``,
    so a run with workers reproduces from the collator's seed alone; non-persistent workers start
    each epoch from the same state unless ``set_collator_epoch(collator, epoch)`` is called per epoch
    (with shuffled data each example still meets new noise, as its batch and row change). An
    unseeded collator reseeds from the DataLoader's per-worker seed, new every epoch. Under torchrun the process rank is mixed in too (rank 0 unchanged), or every DDP rank
    would mask the same positions of its own rows.

    A stream does not survive a Trainer resume: the resumed run builds a fresh collator, Trainer skips
    the batches already trained without collating them, and the main-process stream (or a worker's)
    restarts from the seed, so batch ``k`` gets batch 1's noise. Keyed mode (``set_keyed``, or
    ``hf_ssl.trainer.ResumableNoiseCallback``) fixes that: before every batch the generator is
    reseeded from ``(seed, epoch, digest of the batch's token ids)``, which both runs agree on
    whatever was skipped, prefetched or sent to which worker (fairseq seeds per ``(seed, epoch,
    index)`` for the same reason, ``fairseq/data/mask_tokens_dataset.py:113-119``). Consequences:
    noise is independent of workers and of DataLoader seeds; the ``epoch`` (``set_epoch``) makes
    epochs differ even when a batch recurs unchanged; but within one epoch identical batches get
    identical noise, and calling the collator twice on one batch repeats it. Keyed mode with
    ``seed=None`` uses a random base seed, drawn once, so it is exact only within one process.
    """

    def __init__(self, seed: int | None) -> None:
        if seed is not None:
            check_int("seed", seed)
        self.seed = seed
        self.generator = torch.Generator()
        if seed is None:
            self.generator.seed()
        else:
            self.generator.manual_seed(seed)
        self._base_seed = self.generator.initial_seed()
        self._worker_seed: int | None = None
        self._rank_mixed = False
        self.keyed = False
        self.epoch = 0

    def set_keyed(self, keyed: bool = True) -> None:
        """Switch between stream mode (fresh noise every call) and keyed mode (noise a function of the batch)."""
        if not isinstance(keyed, bool):
            raise TypeError(f"keyed must be a bool, got {keyed!r}")
        self.keyed = keyed

    def set_epoch(self, epoch: int) -> None:
        """The epoch keyed mode mixes into every batch seed; set it before the epoch's DataLoader iterator starts."""
        self.epoch = check_int("epoch", epoch)

    def get(self, batch_key: torch.Tensor | Sequence[Sequence[int]] | None = None) -> torch.Generator:
        """The generator for this call; keyed mode needs ``batch_key``, the batch's token ids (rows)."""
        if self.keyed:
            if batch_key is None:
                raise ValueError(
                    "this collator passes no batch key to CollatorRNG.get, so it cannot draw keyed "
                    "(resumable) noise; call set_keyed(False) or pass the batch's token ids"
                )
            self.generator.manual_seed(batch_seed(self._base_seed, self.epoch, batch_key))
            return self.generator
        info = torch.utils.data.get_worker_info()
        if info is not None and info.seed != self._worker_seed:
            self._worker_seed = info.seed
            # Seeded: a function of (seed, epoch, worker id) alone, so a run reproduces whatever torch's
            # global seed or the DataLoader's generator (transformers' collators use seed + worker id).
            # Unseeded: the DataLoader's per-worker seed, fresh every epoch.
            mixed = info.seed if self.seed is None else batch_seed(self.seed, self.epoch, [[info.id]])
            self.generator.manual_seed(_mix_rank(mixed % (2**63), process_rank()))
        elif info is None and not self._rank_mixed:
            # Every DDP rank builds the same collator (same seed) and Trainer seeds every rank alike,
            # so without the rank the ranks' masks would fall on the same positions. Rank 0 keeps
            # the plain seed, so single-process streams are unchanged.
            self._rank_mixed = True
            rank = process_rank()
            if rank:
                self.generator.manual_seed(_mix_rank(self._base_seed, rank))
        return self.generator

    def __getstate__(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "state": self.generator.get_state(),
            "worker": self._worker_seed,
            "rank_mixed": self._rank_mixed,
            "base": self._base_seed,
            "keyed": self.keyed,
            "epoch": self.epoch,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.seed = state["seed"]
        self.generator = torch.Generator()
        self.generator.set_state(state["state"])
        self._worker_seed = state["worker"]
        self._rank_mixed = state.get("rank_mixed", False)
        self._base_seed = state.get("base", self.generator.initial_seed())
        self.keyed = state.get("keyed", False)
        self.epoch = state.get("epoch", 0)


def process_rank() -> int:
    """This process's global rank: the initialised process group's, else torchrun's RANK, else 0."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank()
    return int(os.environ.get("RANK", "0"))


def _mix_rank(seed: int, rank: int) -> int:
    if rank == 0:
        return seed
    # An unseeded generator's initial seed may use all 64 bits; pack it as unsigned.
    digest = hashlib.blake2b(struct.pack("<Qq", seed % (2**64), rank), digest_size=8).digest()
    return int.from_bytes(digest, "little") % (2**63)


def batch_seed(seed: int, epoch: int, batch_key: torch.Tensor | Sequence[Sequence[int]]) -> int:
    """A 63-bit seed from ``(seed, epoch, token ids)``: equal batches give equal seeds, any change a new one."""
    if isinstance(batch_key, torch.Tensor):
        ids = batch_key.detach().to("cpu", torch.long).contiguous()  # (b, t)
        shape = tuple(ids.shape)
    else:
        rows = [list(row) for row in batch_key]
        ids = torch.tensor([token for row in rows for token in row], dtype=torch.long)  # (sum of lengths,)
        shape = tuple(len(row) for row in rows)  # ragged rows: the lengths keep [1, 2] apart from [12]
    digest = hashlib.blake2b(digest_size=8)
    digest.update(struct.pack("<qq", seed % (2**63), epoch))
    digest.update(repr(shape).encode())
    digest.update(ids.numpy().tobytes())
    return int.from_bytes(digest.digest(), "little") % (2**63)


def set_collator_epoch(collator: Any, epoch: int) -> None:
    """Tell every CollatorRNG of `collator` the epoch (like a sampler's ``set_epoch``): seeded workers
    and keyed mode then draw new noise each epoch. Call it before the epoch's DataLoader iterator."""
    for rng in collator_rngs(collator):
        rng.set_epoch(epoch)


def collator_rngs(collator: Any) -> list[CollatorRNG]:
    """Every CollatorRNG a collator holds, also inside collators it wraps (attributes, lists, dicts)."""
    found: list[CollatorRNG] = []
    seen: set[int] = set()

    def visit(value: Any) -> None:
        if id(value) in seen or isinstance(value, torch.Tensor | str | bytes | int | float):
            return
        seen.add(id(value))
        if isinstance(value, CollatorRNG):
            found.append(value)
        elif isinstance(value, list | tuple):
            for item in value:
                visit(item)
        elif isinstance(value, dict):
            for item in value.values():
                visit(item)
        elif hasattr(value, "__dict__") and not isinstance(value, type):
            for item in vars(value).values():
                visit(item)

    visit(collator)
    return found
