"""Pretraining objectives as collators: pure data (token ids in, tensors out), never a model import."""

from hf_ssl.objectives.causal_lm import CausalLMCollator
from hf_ssl.objectives.cbow import CBOWCollator
from hf_ssl.objectives.gpt_tasks import GPT_TASK_TOKENS, GPTTaskCollator
from hf_ssl.objectives.masked_lm import MaskedLMCollator
from hf_ssl.objectives.noise import (
    apply_mask_replace,
    bert_num_to_predict,
    select_exact_count,
    select_whole_words,
)
from hf_ssl.objectives.packing import PackingCollator, pack_batch
from hf_ssl.objectives.sentence_pairs import (
    PAIR_LABEL_KEYS,
    SentencePairCollator,
    build_sentence_pair_examples,
)

__all__ = [
    "GPT_TASK_TOKENS",
    "PAIR_LABEL_KEYS",
    "CBOWCollator",
    "CausalLMCollator",
    "GPTTaskCollator",
    "MaskedLMCollator",
    "PackingCollator",
    "SentencePairCollator",
    "apply_mask_replace",
    "bert_num_to_predict",
    "build_sentence_pair_examples",
    "pack_batch",
    "select_exact_count",
    "select_whole_words",
]
