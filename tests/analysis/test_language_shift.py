"""hf_ssl.analysis.language_shift: the mean difference recovers a language offset and fixes retrieval."""

from __future__ import annotations

import pytest
import torch

from hf_ssl.analysis import apply_shift, language_shift_vector, retrieval_accuracy, shift_retrieval


def _bilingual(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Sentence meanings m (n, 16); language B = m + a large common offset + noise."""
    g = torch.Generator().manual_seed(seed)
    meaning = torch.randn(n, 16, generator=g, dtype=torch.float64)
    offset = 6.0 * torch.randn(16, generator=g, dtype=torch.float64)
    other = meaning + offset + 0.5 * torch.randn(n, 16, generator=g, dtype=torch.float64)
    return meaning, other, offset


def test_the_shift_vector_recovers_the_languages_offset():
    source, target, offset = _bilingual(4000, 0)
    torch.testing.assert_close(language_shift_vector(source, target), offset, atol=0.15, rtol=0)


def test_shifting_lifts_translation_retrieval_on_held_out_pairs():
    source, target, _ = _bilingual(600, 1)
    result = shift_retrieval(source[:300], target[:300], source[300:], target[300:])
    # The offset dominates every candidate's direction, so cosine neighbours are often wrong before.
    assert result["before"] < 0.8
    assert result["after"] > 0.95
    assert result["after"] == retrieval_accuracy(
        apply_shift(source[300:], language_shift_vector(source[:300], target[:300])), target[300:]
    )


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match="3 dims but target has 4"):
        language_shift_vector(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="non-empty 2-D"):
        language_shift_vector(torch.zeros(3), torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"expected \(3,\)"):
        apply_shift(torch.zeros(2, 3), torch.zeros(4))
    with pytest.raises(ValueError, match="paired row by row"):
        retrieval_accuracy(torch.zeros(2, 3), torch.zeros(3, 3))
