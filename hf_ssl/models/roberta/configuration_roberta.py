"""RoBERTa configuration (Liu et al. 2019, "RoBERTa: A Robustly Optimized BERT Pretraining Approach").

BERT's fields with RoBERTa's defaults: byte-level BPE vocabulary of 50,265, <s>=0 <pad>=1 </s>=2,
514 position rows (fairseq positions start at padding_idx + 1 = 2), LayerNorm eps 1e-5, and no
segment embeddings (type_vocab_size 0; fairseq `examples/roberta/config/pretraining/base.yaml`).
"""

from __future__ import annotations

from ..bert.configuration_bert import BertConfig


class RobertaConfig(BertConfig):
    """BertConfig with RoBERTa-base defaults; see BertConfig for every field."""

    model_type = "hf_ssl_roberta"

    vocab_size: int = 50265
    max_position_embeddings: int = 514
    type_vocab_size: int = 0
    layer_norm_eps: float = 1e-5
    pad_token_id: int | None = 1
    bos_token_id: int | None = 0
    eos_token_id: int | None = 2
