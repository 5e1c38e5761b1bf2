"""hf_ssl: a Hugging Face-native zoo of the self-supervised language models that shaped NLP.

Importing this package registers every model with transformers' Auto classes, so
`AutoModelForMaskedLM.from_pretrained(path)` loads an hf_ssl checkpoint, Trainer and the pipelines
work with them, and `from_transformers` / `to_transformers` move weights between the two.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from . import logging, presets
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
from .models.bart import (
    BartConfig,
    BartForConditionalGeneration,
    BartForQuestionAnswering,
    BartForSequenceClassification,
    BartModel,
)
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
from .models.cbow import CBOWConfig, CBOWForPreTraining, CBOWModel
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
from .models.elmo import (
    ElmoConfig,
    ElmoForPreTraining,
    ElmoForSequenceClassification,
    ElmoForTokenClassification,
    ElmoModel,
    ElmoTokenizer,
)
from .models.gpt import (
    GPTConfig,
    GPTForMultipleChoice,
    GPTForSequenceClassification,
    GPTLMHeadModel,
    GPTModel,
)
from .models.mass import MassConfig, MassForConditionalGeneration, MassModel
from .models.prefix_lm import PrefixLMConfig, PrefixLMForCausalLM, PrefixLMModel
from .models.registry import AUTO_CLASSES, register_auto_classes
from .models.roberta import (
    RobertaConfig,
    RobertaForMaskedLM,
    RobertaForMultipleChoice,
    RobertaForQuestionAnswering,
    RobertaForSequenceClassification,
    RobertaForTokenClassification,
    RobertaModel,
)
from .models.t5 import T5Config, T5EncoderModel, T5ForConditionalGeneration, T5Model
from .models.taglm import TagLMConfig, TagLMForTokenClassification
from .objectives import (
    CausalLMCollator,
    CBOWCollator,
    CharLMCollator,
    DenoisingCollator,
    GPTTaskCollator,
    MaskedLMCollator,
    MaskedSeq2SeqCollator,
    PrefixLMCollator,
    SentencePairCollator,
    SpanCorruptionCollator,
    build_sentence_pair_examples,
)
from .presets import PRESETS, get_config, preset
from .trainer import (
    ComponentLossCallback,
    ResumableNoiseCallback,
    SafeCheckpointTrainer,
    last_complete_checkpoint,
)

__version__ = "0.1.0"


def _register() -> None:
    """Register the families with the Auto classes, and the Hub save hooks (remote-code module, a
    family's own tokenizer, model card) that every save runs."""
    from .hub import write_family_tokenizer, write_model_card, write_remote_code
    from .io import SAVE_HOOKS

    for hook in (write_remote_code, write_family_tokenizer, write_model_card):
        if hook not in SAVE_HOOKS:
            SAVE_HOOKS.append(hook)
    register_auto_classes()
    from .peft_targets import install

    install()  # PEFT's default LoRA targets for hf_ssl's model types, when PEFT is imported


_register()
logging.get_logger()  # the library root logger gets its handler and level now, not at first use

# Subpackages that `hf_ssl.<name>` reaches after `import hf_ssl`, imported at first use: metrics
# pulls in `evaluate` and analysis scikit-learn-sized work, which a model load does not need.
_SUBMODULES = ("analysis", "data", "hub", "metrics", "objectives", "recipes")


def __getattr__(name: str) -> ModuleType:
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBMODULES})


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
    "BartConfig",
    "BartForConditionalGeneration",
    "BartForQuestionAnswering",
    "BartForSequenceClassification",
    "BartModel",
    "BertConfig",
    "BertForMaskedLM",
    "BertForMultipleChoice",
    "BertForNextSentencePrediction",
    "BertForPreTraining",
    "BertForQuestionAnswering",
    "BertForSequenceClassification",
    "BertForTokenClassification",
    "BertModel",
    "CBOWCollator",
    "CBOWConfig",
    "CBOWForPreTraining",
    "CBOWModel",
    "CausalLMCollator",
    "CharLMCollator",
    "ComponentLossCallback",
    "DenoisingCollator",
    "ElectraConfig",
    "ElectraForMaskedLM",
    "ElectraForPreTraining",
    "ElectraForQuestionAnswering",
    "ElectraForReplacedTokenDetection",
    "ElectraForSequenceClassification",
    "ElectraForTokenClassification",
    "ElectraModel",
    "ElmoConfig",
    "ElmoForPreTraining",
    "ElmoForSequenceClassification",
    "ElmoForTokenClassification",
    "ElmoModel",
    "ElmoTokenizer",
    "GPTConfig",
    "GPTForMultipleChoice",
    "GPTForSequenceClassification",
    "GPTLMHeadModel",
    "GPTModel",
    "GPTTaskCollator",
    "MaskedLMCollator",
    "MaskedSeq2SeqCollator",
    "MassConfig",
    "MassForConditionalGeneration",
    "MassModel",
    "PrefixLMCollator",
    "PrefixLMConfig",
    "PrefixLMForCausalLM",
    "PrefixLMModel",
    "ResumableNoiseCallback",
    "RobertaConfig",
    "RobertaForMaskedLM",
    "RobertaForMultipleChoice",
    "RobertaForQuestionAnswering",
    "RobertaForSequenceClassification",
    "RobertaForTokenClassification",
    "RobertaModel",
    "SafeCheckpointTrainer",
    "SentencePairCollator",
    "SpanCorruptionCollator",
    "T5Config",
    "T5EncoderModel",
    "T5ForConditionalGeneration",
    "T5Model",
    "TagLMConfig",
    "TagLMForTokenClassification",
    "build_sentence_pair_examples",
    "from_transformers",
    "get_config",
    "last_complete_checkpoint",
    "logging",
    "preset",
    "presets",
    "to_transformers",
]
