"""The linear-chain CRF against brute-force enumeration of every path on tiny problems."""

from __future__ import annotations

import itertools

import pytest
import torch

from hf_ssl.constants import IGNORE_INDEX
from hf_ssl.layers.crf import IMPOSSIBLE, LinearChainCRF, allowed_transitions

TAGS = 3
LENGTHS = [4, 2, 1, 0]  # a row of length 0 too


def random_crf(seed: int = 0, constraints=None) -> tuple[LinearChainCRF, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    crf = LinearChainCRF(TAGS, constraints)
    with torch.no_grad():
        for p in crf.parameters():
            p.copy_(torch.randn(p.shape, generator=g))
    emissions = torch.randn(len(LENGTHS), max(LENGTHS), TAGS, generator=g)
    mask = torch.arange(max(LENGTHS)) < torch.tensor(LENGTHS).unsqueeze(1)
    return crf, emissions, mask


def path_score(crf: LinearChainCRF, emissions: torch.Tensor, path: tuple[int, ...]) -> torch.Tensor:
    start, transitions, end = crf._scores()
    score = start[path[0]] + end[path[-1]] + sum(emissions[i, y] for i, y in enumerate(path))
    return score + sum(transitions[a, b] for a, b in itertools.pairwise(path))


def all_paths(crf, emissions, length):
    paths = list(itertools.product(range(TAGS), repeat=length))
    return paths, torch.stack([path_score(crf, emissions, p) for p in paths])


@torch.no_grad()
def test_partition_likelihood_viterbi_and_marginals_match_brute_force():
    crf, emissions, mask = random_crf()
    log_z = crf.log_partition(emissions, mask)
    tags = torch.randint(0, TAGS, mask.shape, generator=torch.Generator().manual_seed(1))
    likelihood = crf.log_likelihood(emissions, tags, mask)
    best, best_scores = crf.viterbi_decode(emissions, mask)
    marginals = crf.marginals(emissions, mask).exp()
    for row, length in enumerate(LENGTHS):
        if length == 0:
            assert log_z[row] == 0 and likelihood[row] == 0 and bool((best[row] == IGNORE_INDEX).all())
            continue
        paths, scores = all_paths(crf, emissions[row], length)
        reference_z = torch.logsumexp(scores, 0)
        torch.testing.assert_close(log_z[row], reference_z)
        gold = tuple(tags[row, :length].tolist())
        torch.testing.assert_close(likelihood[row], path_score(crf, emissions[row], gold) - reference_z)
        assert tuple(best[row, :length].tolist()) == paths[int(scores.argmax())]
        assert bool((best[row, length:] == IGNORE_INDEX).all())
        torch.testing.assert_close(best_scores[row], scores.max())
        probabilities = (scores - reference_z).exp()
        for i in range(length):
            for tag in range(TAGS):
                expected = sum(p for path, p in zip(paths, probabilities, strict=True) if path[i] == tag)
                torch.testing.assert_close(marginals[row, i, tag], expected, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(marginals[row, :length].sum(-1), torch.ones(length))


@torch.no_grad()
def test_unobserved_tags_are_summed_over_every_consistent_path():
    crf, emissions, mask = random_crf(seed=2)
    tags = torch.tensor([[0, IGNORE_INDEX, 2, IGNORE_INDEX], [IGNORE_INDEX, 1, 0, 0], [1, 0, 0, 0], [0] * 4])
    likelihood = crf.log_likelihood(emissions, tags, mask)
    for row, length in enumerate(LENGTHS[:3]):
        paths, scores = all_paths(crf, emissions[row], length)
        observed = tags[row, :length].tolist()
        consistent = [
            s
            for p, s in zip(paths, scores, strict=True)
            if all(o < 0 or o == y for o, y in zip(observed, p, strict=True))
        ]
        expected = torch.logsumexp(torch.stack(consistent), 0) - torch.logsumexp(scores, 0)
        torch.testing.assert_close(likelihood[row], expected)


def test_likelihood_gradients_are_finite_and_reach_every_parameter():
    crf, emissions, mask = random_crf(seed=3, constraints=allowed_transitions(["O", "B-X", "I-X"], "BIO"))
    emissions.requires_grad_(True)
    tags = torch.tensor([[1, 2, 0, 0], [0, 1, IGNORE_INDEX, IGNORE_INDEX], [0, 0, 0, 0], [0] * 4])
    loss = -crf.log_likelihood(emissions, tags, mask).sum()
    loss.backward()
    assert torch.isfinite(loss)
    for tensor in (emissions, *crf.parameters()):
        assert tensor.grad is not None and bool(torch.isfinite(tensor.grad).all())


@torch.no_grad()
def test_bio_constraints_forbid_inside_tags_after_outside_and_at_the_start():
    labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    start, transitions, end = (torch.tensor(c) for c in allowed_transitions(labels, "BIO"))
    assert start.tolist() == [True, True, False, True, False]
    assert not transitions[0, 2] and transitions[1, 2] and transitions[2, 2] and not transitions[1, 4]
    assert bool(end.all())
    crf = LinearChainCRF(len(labels), allowed_transitions(labels, "BIO"))
    emissions = torch.zeros(1, 3, len(labels))
    emissions[0, :, 2] = 5.0  # the emissions alone want I-PER everywhere
    best, _ = crf.viterbi_decode(emissions)
    assert best[0].tolist()[0] != 2
    assert crf.marginals(emissions).exp()[0, 0, 2] < 1e-6
    assert crf.transition_penalty[0, 2] == IMPOSSIBLE


def test_iobes_constraints():
    labels = ["O", "B-X", "I-X", "E-X", "S-X"]
    start, transitions, end = (torch.tensor(c) for c in allowed_transitions(labels, "IOBES"))
    assert start.tolist() == [True, True, False, False, True]
    assert end.tolist() == [True, False, False, True, True]
    assert transitions[1].tolist() == [False, False, True, True, False]  # B-X -> I-X | E-X
    assert transitions[3].tolist() == [True, True, False, False, True]  # E-X -> O | B | S


def test_bad_inputs_raise():
    crf = LinearChainCRF(TAGS)
    with pytest.raises(ValueError, match="expected \\(b, t, 3\\)"):
        crf.log_partition(torch.zeros(2, 3, 4))
    with pytest.raises(ValueError, match="left-aligned"):
        crf.log_partition(torch.zeros(1, 3, TAGS), torch.tensor([[0, 1, 1]]))
    with pytest.raises(ValueError, match="tags contain 3"):
        crf.log_likelihood(torch.zeros(1, 2, TAGS), torch.tensor([[0, 3]]))
    with pytest.raises(ValueError, match="'X-PER' is not a BIO label"):
        allowed_transitions(["O", "X-PER"], "BIO")
    with pytest.raises(ValueError, match="scheme='BILOU'"):
        allowed_transitions(["O"], "BILOU")
