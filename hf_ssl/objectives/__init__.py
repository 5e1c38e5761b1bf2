"""Pretraining objectives as collators: pure data (token ids in, tensors out), never a model import."""

from hf_ssl.data.characters import batch_to_char_ids
from hf_ssl.objectives.causal_lm import CausalLMCollator
from hf_ssl.objectives.cbow import CBOWCollator
from hf_ssl.objectives.char_lm import CharLMCollator, build_word_vocab
from hf_ssl.objectives.gpt_tasks import GPT_TASK_TOKENS, GPTTaskCollator
from hf_ssl.objectives.masked_lm import MaskedLMCollator
from hf_ssl.objectives.noise import (
    apply_mask_replace,
    bert_num_to_predict,
    select_exact_count,
    select_whole_words,
)
from hf_ssl.objectives.packing import PackingCollator, Seq2SeqPackingCollator, pack_batch, pack_seq2seq_batch
from hf_ssl.objectives.permutation_lm import PermutationLMCollator, permutation_mask, sample_prediction_spans
from hf_ssl.objectives.sentence_pairs import (
    PAIR_LABEL_KEYS,
    SentencePairCollator,
    build_sentence_pair_examples,
)

# isort: split
# Sequence-to-sequence pretraining collators: BART, T5, MASS, prefix LM.
from hf_ssl.objectives.denoising import (
    BART_LARGE_NOISE,
    DenoisingCollator,
    insert_noise,
    mask_spans,
    permute_sentences,
    poisson_span_distribution,
    rotate_document,
    sample_span_lengths,
    word_start_mask_from_tokenizer,
)
from hf_ssl.objectives.masked_seq2seq import MaskedSeq2SeqCollator, mass_span_lengths, sample_mass_spans
from hf_ssl.objectives.prefix_lm import PrefixLMCollator, random_prefix_lengths
from hf_ssl.objectives.span_corruption import (
    SpanCorruptionCollator,
    compute_input_and_target_lengths,
    noise_span_to_unique_sentinel,
    nonnoise_span_to_unique_sentinel,
    random_spans_helper,
    random_spans_noise_mask,
    t5_sentinel_ids,
)

__all__ = [
    "GPT_TASK_TOKENS",
    "PAIR_LABEL_KEYS",
    "CBOWCollator",
    "CausalLMCollator",
    "CharLMCollator",
    "GPTTaskCollator",
    "MaskedLMCollator",
    "PackingCollator",
    "PermutationLMCollator",
    "SentencePairCollator",
    "Seq2SeqPackingCollator",
    "apply_mask_replace",
    "batch_to_char_ids",
    "bert_num_to_predict",
    "build_sentence_pair_examples",
    "build_word_vocab",
    "pack_batch",
    "pack_seq2seq_batch",
    "permutation_mask",
    "sample_prediction_spans",
    "select_exact_count",
    "select_whole_words",
]

# Sequence-to-sequence pretraining collators.
__all__ += [
    "BART_LARGE_NOISE",
    "DenoisingCollator",
    "MaskedSeq2SeqCollator",
    "PrefixLMCollator",
    "SpanCorruptionCollator",
    "compute_input_and_target_lengths",
    "insert_noise",
    "mask_spans",
    "mass_span_lengths",
    "noise_span_to_unique_sentinel",
    "nonnoise_span_to_unique_sentinel",
    "permute_sentences",
    "poisson_span_distribution",
    "random_prefix_lengths",
    "random_spans_helper",
    "random_spans_noise_mask",
    "rotate_document",
    "sample_mass_spans",
    "sample_span_lengths",
    "t5_sentinel_ids",
    "word_start_mask_from_tokenizer",
]

# Collator randomness: stream or keyed (resumable) noise, rank- and worker-aware.
from hf_ssl.objectives.rng import CollatorRNG, batch_seed, collator_rngs, set_collator_epoch  # noqa: E402

__all__ += ["CollatorRNG", "batch_seed", "collator_rngs", "set_collator_epoch"]
