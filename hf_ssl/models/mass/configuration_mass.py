"""MASS configuration (Song et al. 2019, "MASS: Masked Sequence to Sequence Pre-training").

MASS is BART's encoder-decoder with its own objective (`hf_ssl.objectives.MaskedSeq2SeqCollator`:
mask one contiguous span in the encoder input, decode only that span) and its own defaults, read
from microsoft/MASS MASS-summarization/mass/s2s_model.py (`transformer_mass_base`): 6+6 post-LN
layers, d_model 768, 12 heads, FFN 3072, GELU, dropout 0.1 on residuals, attention weights and the
FFN, word embeddings scaled by sqrt(d_model) then a LayerNorm, learned positions (512), all
embeddings shared, BERT's uncased WordPiece vocabulary (30,522: [PAD]=0, [CLS]=101, [SEP]=102).
"""

from __future__ import annotations

from ..bart.configuration_bart import BartConfig


class MassConfig(BartConfig):
    """BartConfig with MASS-base defaults; see BartConfig for the fields."""

    model_type = "hf_ssl_mass"

    vocab_size: int = 30522
    max_position_embeddings: int = 512
    encoder_layers: int = 6
    encoder_ffn_dim: int = 3072
    encoder_attention_heads: int = 12
    decoder_layers: int = 6
    decoder_ffn_dim: int = 3072
    decoder_attention_heads: int = 12
    d_model: int = 768
    dropout: float = 0.1
    attention_dropout: float = 0.1
    activation_dropout: float = 0.1
    scale_embedding: bool = True
    pad_token_id: int | None = 0
    bos_token_id: int | None = 101
    eos_token_id: int | None = 102
    decoder_start_token_id: int | None = 102
    forced_eos_token_id: int | None = 102
