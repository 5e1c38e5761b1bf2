"""hf_ssl: a Hugging Face-native zoo of the self-supervised language models that shaped NLP.

Importing this package registers every model with transformers' Auto classes, so
`AutoModelForMaskedLM.from_pretrained(path)` loads an hf_ssl checkpoint, Trainer and the pipelines
work with them, and `from_transformers` / `to_transformers` move weights between the two.
"""

from __future__ import annotations

from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForMaskedLM,
    AutoModelForMultipleChoice,
    AutoModelForNextSentencePrediction,
    AutoModelForPreTraining,
    AutoModelForQuestionAnswering,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
)

from . import presets
from .conversion import from_transformers, to_transformers
from .models.albert import (
    AlbertConfig,
    AlbertForMaskedLM,
    AlbertForMultipleChoice,
    AlbertForPreTraining,
    AlbertForQuestionAnswering,
    AlbertForSequenceClassification,
    AlbertForTokenClassification,
    AlbertModel,
)
from .models.albert import convert_albert as _convert_albert  # noqa: F401
from .models.bert import (
    BertConfig,
    BertForMaskedLM,
    BertForMultipleChoice,
    BertForNextSentencePrediction,
    BertForPreTraining,
    BertForQuestionAnswering,
    BertForSequenceClassification,
    BertForTokenClassification,
    BertModel,
)
from .models.bert import convert_bert as _convert_bert  # noqa: F401  (registers the weight maps)
from .models.electra import (
    ElectraConfig,
    ElectraForMaskedLM,
    ElectraForPreTraining,
    ElectraForQuestionAnswering,
    ElectraForReplacedTokenDetection,
    ElectraForSequenceClassification,
    ElectraForTokenClassification,
    ElectraModel,
)
from .models.electra import convert_electra as _convert_electra  # noqa: F401
from .models.gpt import (
    GPTConfig,
    GPTForMultipleChoice,
    GPTForSequenceClassification,
    GPTLMHeadModel,
    GPTModel,
)
from .models.gpt import convert_gpt as _convert_gpt  # noqa: F401
from .models.roberta import (
    RobertaConfig,
    RobertaForMaskedLM,
    RobertaForMultipleChoice,
    RobertaForQuestionAnswering,
    RobertaForSequenceClassification,
    RobertaForTokenClassification,
    RobertaModel,
)
from .models.roberta import convert_roberta as _convert_roberta  # noqa: F401
from .objectives import (
    CausalLMCollator,
    GPTTaskCollator,
    MaskedLMCollator,
    SentencePairCollator,
    build_sentence_pair_examples,
)
from .presets import PRESETS, get_config, preset
from .training import ComponentLossCallback

# isort: split
# Sequence-to-sequence pretraining collators (issue 5).
from .objectives import DenoisingCollator, MaskedSeq2SeqCollator, PrefixLMCollator, SpanCorruptionCollator

__version__ = "0.1.0"

# (config, {Auto class: model class}) for every architecture: the single place that registers them.
AUTO_CLASSES = {
    BertConfig: {
        AutoModel: BertModel,
        AutoModelForPreTraining: BertForPreTraining,
        AutoModelForMaskedLM: BertForMaskedLM,
        AutoModelForNextSentencePrediction: BertForNextSentencePrediction,
        AutoModelForSequenceClassification: BertForSequenceClassification,
        AutoModelForTokenClassification: BertForTokenClassification,
        AutoModelForQuestionAnswering: BertForQuestionAnswering,
        AutoModelForMultipleChoice: BertForMultipleChoice,
    },
    RobertaConfig: {
        AutoModel: RobertaModel,
        AutoModelForPreTraining: RobertaForMaskedLM,
        AutoModelForMaskedLM: RobertaForMaskedLM,
        AutoModelForSequenceClassification: RobertaForSequenceClassification,
        AutoModelForTokenClassification: RobertaForTokenClassification,
        AutoModelForQuestionAnswering: RobertaForQuestionAnswering,
        AutoModelForMultipleChoice: RobertaForMultipleChoice,
    },
    AlbertConfig: {
        AutoModel: AlbertModel,
        AutoModelForPreTraining: AlbertForPreTraining,
        AutoModelForMaskedLM: AlbertForMaskedLM,
        AutoModelForSequenceClassification: AlbertForSequenceClassification,
        AutoModelForTokenClassification: AlbertForTokenClassification,
        AutoModelForQuestionAnswering: AlbertForQuestionAnswering,
        AutoModelForMultipleChoice: AlbertForMultipleChoice,
    },
    ElectraConfig: {
        AutoModel: ElectraModel,
        AutoModelForPreTraining: ElectraForPreTraining,
        AutoModelForMaskedLM: ElectraForMaskedLM,
        AutoModelForSequenceClassification: ElectraForSequenceClassification,
        AutoModelForTokenClassification: ElectraForTokenClassification,
        AutoModelForQuestionAnswering: ElectraForQuestionAnswering,
    },
    GPTConfig: {
        AutoModel: GPTModel,
        AutoModelForPreTraining: GPTLMHeadModel,
        AutoModelForCausalLM: GPTLMHeadModel,
        AutoModelForSequenceClassification: GPTForSequenceClassification,
        AutoModelForMultipleChoice: GPTForMultipleChoice,
    },
}


def _register() -> None:
    from .hub import write_remote_code
    from .io import SAVE_HOOKS

    if write_remote_code not in SAVE_HOOKS:
        SAVE_HOOKS.append(write_remote_code)
    for config_class, heads in AUTO_CLASSES.items():
        AutoConfig.register(config_class.model_type, config_class, exist_ok=True)
        for auto_class, model_class in heads.items():
            auto_class.register(config_class, model_class, exist_ok=True)


_register()

__all__ = [
    "AUTO_CLASSES",
    "PRESETS",
    "AlbertConfig",
    "AlbertForMaskedLM",
    "AlbertForMultipleChoice",
    "AlbertForPreTraining",
    "AlbertForQuestionAnswering",
    "AlbertForSequenceClassification",
    "AlbertForTokenClassification",
    "AlbertModel",
    "BertConfig",
    "BertForMaskedLM",
    "BertForMultipleChoice",
    "BertForNextSentencePrediction",
    "BertForPreTraining",
    "BertForQuestionAnswering",
    "BertForSequenceClassification",
    "BertForTokenClassification",
    "BertModel",
    "CausalLMCollator",
    "ComponentLossCallback",
    "ElectraConfig",
    "ElectraForMaskedLM",
    "ElectraForPreTraining",
    "ElectraForQuestionAnswering",
    "ElectraForReplacedTokenDetection",
    "ElectraForSequenceClassification",
    "ElectraForTokenClassification",
    "ElectraModel",
    "GPTConfig",
    "GPTForMultipleChoice",
    "GPTForSequenceClassification",
    "GPTLMHeadModel",
    "GPTModel",
    "GPTTaskCollator",
    "MaskedLMCollator",
    "RobertaConfig",
    "RobertaForMaskedLM",
    "RobertaForMultipleChoice",
    "RobertaForQuestionAnswering",
    "RobertaForSequenceClassification",
    "RobertaForTokenClassification",
    "RobertaModel",
    "SentencePairCollator",
    "build_sentence_pair_examples",
    "from_transformers",
    "get_config",
    "preset",
    "presets",
    "to_transformers",
]

# Sequence-to-sequence pretraining collators (issue 5).
__all__ += ["DenoisingCollator", "MaskedSeq2SeqCollator", "PrefixLMCollator", "SpanCorruptionCollator"]
