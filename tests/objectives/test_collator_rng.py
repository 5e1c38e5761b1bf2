"""Collator noise under DataLoader workers and epochs: deterministic per worker, different across them.

Two workers must not replay each other's masks, a seed must reproduce a run (whatever torch's global
seed), and epoch 2 must not repeat epoch 1 (RoBERTa's dynamic masking). Checked for the default
stream mode and for the keyed mode that Trainer resumes need (``CollatorRNG``).
"""

from __future__ import annotations

import pickle

import pytest
import torch
from torch.utils.data import DataLoader

from hf_ssl.objectives import MaskedLMCollator, SpanCorruptionCollator
from hf_ssl.objectives.rng import CollatorRNG, batch_seed, collator_rngs, set_collator_epoch

VOCAB, PAD, MASK = 100, 0, 1
ROW = list(range(10, 40))  # every example identical: any difference between masks is the noise's
NUM_EXAMPLES, BATCH = 8, 2


def _collator() -> MaskedLMCollator:
    return MaskedLMCollator(vocab_size=VOCAB, mask_token_id=MASK, pad_token_id=PAD, seed=5)


def _epoch_masks(
    collator: MaskedLMCollator, data: list, *, num_workers: int, loader_seed: int = 0
) -> list[torch.Tensor]:
    loader = DataLoader(
        data,
        batch_size=BATCH,
        collate_fn=collator,
        num_workers=num_workers,
        generator=torch.Generator().manual_seed(loader_seed),
    )
    return [batch["labels"] != -100 for batch in loader]


def _distinct_rows() -> list[dict[str, list[int]]]:
    return [{"input_ids": [10 + i, *ROW]} for i in range(NUM_EXAMPLES)]


def test_two_workers_draw_different_masks_for_identical_batches():
    masks = _epoch_masks(_collator(), [{"input_ids": ROW}] * NUM_EXAMPLES, num_workers=2)
    # Batches alternate between workers 0 and 1; each worker's first batch is its first draw.
    assert not torch.equal(masks[0], masks[1])
    assert len({tuple(mask.flatten().tolist()) for mask in masks}) == len(masks)


def test_the_collator_seed_alone_reproduces_masks_with_workers():
    """seed=5 with two workers: the same masks run to run, whatever torch's global seed or the
    DataLoader's generator; another collator seed gives other masks."""
    data = [{"input_ids": ROW}] * NUM_EXAMPLES
    torch.manual_seed(1)
    first = _epoch_masks(_collator(), data, num_workers=2, loader_seed=0)
    torch.manual_seed(2)
    second = _epoch_masks(_collator(), data, num_workers=2, loader_seed=1)
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))
    other_seed = MaskedLMCollator(vocab_size=VOCAB, mask_token_id=MASK, pad_token_id=PAD, seed=6)
    other = _epoch_masks(other_seed, data, num_workers=2)
    assert any(not torch.equal(a, b) for a, b in zip(first, other, strict=True))


def test_an_unseeded_collator_with_workers_follows_the_loader_seed():
    unseeded = MaskedLMCollator(vocab_size=VOCAB, mask_token_id=MASK, pad_token_id=PAD)
    data = [{"input_ids": ROW}] * NUM_EXAMPLES
    first = _epoch_masks(unseeded, data, num_workers=2, loader_seed=0)
    other = _epoch_masks(unseeded, data, num_workers=2, loader_seed=1)
    assert any(not torch.equal(a, b) for a, b in zip(first, other, strict=True))


def test_a_second_epoch_with_workers_draws_new_masks():
    collator, data = _collator(), [{"input_ids": ROW}] * NUM_EXAMPLES
    loader = DataLoader(
        data, batch_size=BATCH, collate_fn=collator, num_workers=2, generator=torch.Generator().manual_seed(0)
    )
    epoch_1 = [batch["labels"] != -100 for batch in loader]
    set_collator_epoch(collator, 1)
    epoch_2 = [batch["labels"] != -100 for batch in loader]
    assert all(not torch.equal(a, b) for a, b in zip(epoch_1, epoch_2, strict=True))


def test_shuffled_epochs_give_each_example_new_masks_without_set_epoch():
    collator, data = _collator(), _distinct_rows()
    loader = DataLoader(
        data,
        batch_size=BATCH,
        collate_fn=collator,
        num_workers=2,
        shuffle=True,
        generator=torch.Generator().manual_seed(0),
    )

    def masks_by_example() -> dict[int, tuple]:
        found = {}
        for batch in loader:
            for ids, labels in zip(batch["input_ids"], batch["labels"], strict=True):
                first = int(labels[0]) if int(labels[0]) != -100 else int(ids[0])
                found[first] = tuple((labels != -100).tolist())
        return found

    epoch_1, epoch_2 = masks_by_example(), masks_by_example()
    assert sum(epoch_1[key] != epoch_2[key] for key in epoch_1) >= NUM_EXAMPLES // 2


def test_keyed_masks_do_not_depend_on_workers_or_loader_seeds_but_on_seed_and_epoch():
    def keyed(epoch: int, seed: int = 5) -> MaskedLMCollator:
        collator = MaskedLMCollator(vocab_size=VOCAB, mask_token_id=MASK, pad_token_id=PAD, seed=seed)
        for rng in collator_rngs(collator):
            rng.set_keyed()
            rng.set_epoch(epoch)
        return collator

    data = _distinct_rows()
    in_main = _epoch_masks(keyed(0), data, num_workers=0)
    in_workers = _epoch_masks(keyed(0), data, num_workers=2, loader_seed=7)
    assert all(torch.equal(a, b) for a, b in zip(in_main, in_workers, strict=True))
    assert len({tuple(mask.flatten().tolist()) for mask in in_main}) == len(in_main)
    next_epoch = _epoch_masks(keyed(1), data, num_workers=2)
    assert all(not torch.equal(a, b) for a, b in zip(in_main, next_epoch, strict=True))
    other_seed = _epoch_masks(keyed(0, seed=6), data, num_workers=0)
    assert any(not torch.equal(a, b) for a, b in zip(in_main, other_seed, strict=True))


def test_keyed_mode_repeats_the_noise_of_a_repeated_batch_and_stream_mode_does_not():
    collator = _collator()
    batch = _distinct_rows()[:BATCH]
    assert not torch.equal(collator(batch)["labels"], collator(batch)["labels"])
    collator._rng.set_keyed()
    assert torch.equal(collator(batch)["labels"], collator(batch)["labels"])


def test_the_batch_seed_separates_ragged_rows_that_concatenate_alike():
    assert batch_seed(0, 0, [[1, 2], [3]]) != batch_seed(0, 0, [[1], [2, 3]])
    assert batch_seed(0, 0, [[1, 2], [3]]) == batch_seed(0, 0, [[1, 2], [3]])
    assert batch_seed(0, 0, torch.tensor([[1, 2]])) != batch_seed(0, 1, torch.tensor([[1, 2]]))


def test_collator_rngs_finds_the_generator_of_a_wrapped_collator():
    inner = _collator()
    wrapper = type("Wrapper", (), {})()
    wrapper.parts = [inner]
    assert collator_rngs(wrapper) == [inner._rng]
    assert collator_rngs(object()) == []


def test_span_corruption_draws_keyed_noise_too():
    collator = SpanCorruptionCollator(
        vocab_size=VOCAB,
        pad_token_id=PAD,
        eos_token_id=2,
        sentinel_ids=tuple(range(VOCAB - 10, VOCAB)),
        inputs_length=16,
        seed=0,
    )
    (rng,) = collator_rngs(collator)
    rng.set_keyed()
    documents = [{"input_ids": list(range(10, 60))}]
    assert torch.equal(collator(documents)["input_ids"], collator(documents)["input_ids"])


def test_a_keyed_rng_survives_pickling_for_spawned_workers():
    rng = CollatorRNG(3)
    rng.set_keyed()
    rng.set_epoch(2)
    copy = pickle.loads(pickle.dumps(rng))
    key = torch.tensor([[4, 5, 6]])
    assert torch.equal(torch.rand(3, generator=copy.get(key)), torch.rand(3, generator=rng.get(key)))


@pytest.mark.parametrize(("method", "value"), [("set_epoch", -1), ("set_keyed", "yes")])
def test_bad_rng_settings_are_refused_by_value(method, value):
    with pytest.raises((ValueError, TypeError), match=repr(value)):
        getattr(CollatorRNG(0), method)(value)


def test_keyed_mode_without_a_batch_key_says_what_is_missing():
    rng = CollatorRNG(0)
    rng.set_keyed()
    with pytest.raises(ValueError, match="passes no batch key"):
        rng.get()


def test_torchrun_ranks_draw_different_stream_masks_and_rank_0_keeps_the_plain_seed(monkeypatch):
    batch = [{"input_ids": ROW}] * BATCH
    monkeypatch.delenv("RANK", raising=False)
    alone = _collator()(batch)["labels"]
    monkeypatch.setenv("RANK", "0")
    rank_0 = _collator()(batch)["labels"]
    monkeypatch.setenv("RANK", "1")
    rank_1 = _collator()(batch)["labels"]
    rank_1_again = _collator()(batch)["labels"]
    assert torch.equal(alone, rank_0)
    assert not torch.equal(rank_0, rank_1)
    assert torch.equal(rank_1, rank_1_again)


def test_unseeded_collators_mix_the_rank_whatever_their_64_bit_seed(monkeypatch):
    monkeypatch.setenv("RANK", "3")
    for _ in range(4):
        generator = CollatorRNG(None).get()
        assert torch.rand(1, generator=generator).shape == (1,)
