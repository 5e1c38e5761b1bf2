"""MASS models: BART's encoder-decoder under MASS's config (Song et al. 2019, §2.2).

Nothing in the network differs from BART; what makes MASS is the data. The decoder input is the
masked span shifted right, fed at the span's original positions (`decoder_position_ids`), so the
decoder must lean on the encoder for everything outside the span. MASS-unsupNMT also hides the
encoder's [MASK] positions from cross-attention (trainer.py `enc_mask = x1 != mask_index`):
pass `cross_attention_mask` (b, s) for that; by default cross-attention sees every real token, as
the summarization code does.
"""

from __future__ import annotations

from ..bart.modeling_bart import BartForConditionalGeneration, BartModel
from .configuration_mass import MassConfig


class MassModel(BartModel):
    """The bare MASS encoder-decoder (see BartModel)."""

    config_class = MassConfig


class MassForConditionalGeneration(BartForConditionalGeneration):
    """MASS pretraining and generation: labels are the span only (-100 elsewhere)."""

    config_class = MassConfig
