"""BART (Lewis et al. 2020): a denoising encoder-decoder; MASS reuses its encoder-decoder."""

from transformers import (
    AutoModel,
    AutoModelForPreTraining,
    AutoModelForQuestionAnswering,
    AutoModelForSeq2SeqLM,
    AutoModelForSequenceClassification,
)

from ..spec import BenchShape, FamilySpec, seq2seq_sizes
from .configuration_bart import BartConfig
from .modeling_bart import (
    BartDecoder,
    BartEncoder,
    BartForConditionalGeneration,
    BartForQuestionAnswering,
    BartForSequenceClassification,
    BartModel,
    BartPreTrainedModel,
    shift_tokens_right,
)

FAMILY = FamilySpec(
    name="bart",
    config_class=BartConfig,
    heads={
        AutoModel: BartModel,
        AutoModelForPreTraining: BartForConditionalGeneration,
        AutoModelForSeq2SeqLM: BartForConditionalGeneration,
        AutoModelForSequenceClassification: BartForSequenceClassification,
        AutoModelForQuestionAnswering: BartForQuestionAnswering,
    },
    hub_task=("fill-mask", "Denoising autoencoding"),
    presets={"bart": {"vocab_size": 50265}},
    pretraining="denoising",
    tokenizer="byte_level_bpe",
    transformers_converter="convert_bart",
    tiny_configs={
        # BART's own special ids (<s>=0, <pad>=1, </s>=2 = decoder start): inputs end with </s>.
        "bart": {
            "vocab_size": 128,
            "d_model": 32,
            "encoder_layers": 2,
            "decoder_layers": 2,
            "encoder_attention_heads": 4,
            "decoder_attention_heads": 4,
            "encoder_ffn_dim": 64,
            "decoder_ffn_dim": 64,
            "max_position_embeddings": 64,
            "dropout": 0.0,
            "num_labels": 3,
        },
    },
    bench={
        "bart-base": BenchShape(
            BartForConditionalGeneration, seq2seq_sizes(6, 768, 12), "seq2seq", pad_token_id=1
        ),
        "bart-mini": BenchShape(
            BartForConditionalGeneration, seq2seq_sizes(2, 256, 4), "seq2seq", pad_token_id=1
        ),
    },
)

__all__ = [
    "FAMILY",
    "BartConfig",
    "BartDecoder",
    "BartEncoder",
    "BartForConditionalGeneration",
    "BartForQuestionAnswering",
    "BartForSequenceClassification",
    "BartModel",
    "BartPreTrainedModel",
    "shift_tokens_right",
]
