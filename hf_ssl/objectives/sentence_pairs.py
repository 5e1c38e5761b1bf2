"""Sentence-pair objectives: BERT's next-sentence prediction (NSP) and ALBERT's sentence order (SOP).

``build_sentence_pair_examples`` turns documents (lists of sentences of token ids) into
``[CLS] A [SEP] B [SEP]`` examples as google-research/bert ``create_instances_from_document`` does
(``create_pretraining_data.py:223-335``, truncation :418-433); the SOP branch follows
google-research/albert ``create_pretraining_data.py:300-349``. ``SentencePairCollator`` pads and
MLM-masks those examples with a ``MaskedLMCollator`` and passes the pair label through.

Labels (HF conventions): ``next_sentence_label`` 0 = B follows A, 1 = B is random;
``sentence_order_label`` 0 = in order, 1 = swapped.

Deliberate differences from the references:
- NSP's random B is drawn uniformly from the *other* documents directly, instead of BERT's ten
  tries that may fall back to the same document in a tiny corpus: label 1 always means another
  document.
- SOP on a one-sentence chunk: ALBERT falls back to BERT's random-document path and labels it 1,
  which teaches topic rather than order. Here the sentence's tokens are split into two halves
  (then kept or swapped like any SOP pair); a one-token sentence yields no example.
- Truncation removes exactly BERT's number of tokens from each side, the side that is trimmed and
  the front/back choice per removed token having BERT's distribution, but drawn in one call.
- Every example also carries ``special_tokens_mask`` (1 at [CLS]/[SEP]) so no MLM collator, ours or
  transformers', can select them.
- Instances are not shuffled (BERT shuffles them offline); let the sampler shuffle.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch

from hf_ssl.objectives.masked_lm import MaskedLMCollator
from hf_ssl.objectives.tokenizer_fields import accepts_tokenizer, construct

logger = logging.getLogger(__name__)

__all__ = ["PAIR_LABEL_KEYS", "SentencePairCollator", "build_sentence_pair_examples"]

PAIR_LABEL_KEYS = {"nsp": "next_sentence_label", "sop": "sentence_order_label"}
"""The label key each pair task writes, named as transformers' pretraining heads expect."""

# [CLS] A [SEP] B [SEP] needs three special tokens and at least one token on each side.
_NUM_SPECIAL_TOKENS = 3
_MIN_MAX_LENGTH = _NUM_SPECIAL_TOKENS + 2

Document = list[list[int]]


class _Rng:
    """Python-``random``-shaped draws (``random()``, inclusive ``randint``) from a torch generator."""

    def __init__(self, generator: torch.Generator) -> None:
        self.generator = generator

    def random(self) -> float:
        return float(torch.rand((), generator=self.generator))

    def randint(self, low: int, high: int) -> int:
        return int(torch.randint(low, high + 1, (), generator=self.generator))

    def coin_flips(self, count: int) -> int:
        return int((torch.rand(count, generator=self.generator) < 0.5).sum())


def _truncate_seq_pair(tokens_a: list[int], tokens_b: list[int], max_num_tokens: int, rng: _Rng) -> None:
    """Trim in place to ``max_num_tokens`` in total, as BERT's ``truncate_seq_pair`` (:418-433).

    BERT pops one token at a time from the longer side, B on ties (`tokens_a if len(tokens_a) >
    len(tokens_b) else tokens_b`), from the front or the back with probability 1/2. The counts per
    side are therefore fixed; only the front/back split is random.
    """
    excess = len(tokens_a) + len(tokens_b) - max_num_tokens
    if excess <= 0:
        return
    gap = abs(len(tokens_a) - len(tokens_b))
    longer_cut = min(excess, gap)
    remaining = excess - longer_cut  # taken in turns once the sides are equal, B first
    cut_a = (longer_cut if len(tokens_a) > len(tokens_b) else 0) + remaining // 2
    cut_b = (longer_cut if len(tokens_a) < len(tokens_b) else 0) + (remaining + 1) // 2
    for tokens, cut in ((tokens_a, cut_a), (tokens_b, cut_b)):
        if cut:
            front = rng.coin_flips(cut)
            del tokens[:front]
            del tokens[len(tokens) - (cut - front) :]


def _pair_example(
    tokens_a: list[int], tokens_b: list[int], label_key: str, label: int, cls_token_id: int, sep_token_id: int
) -> dict[str, Any]:
    return {
        "input_ids": [cls_token_id, *tokens_a, sep_token_id, *tokens_b, sep_token_id],
        "token_type_ids": [0] * (len(tokens_a) + 2) + [1] * (len(tokens_b) + 1),
        "special_tokens_mask": [1] + [0] * len(tokens_a) + [1] + [0] * len(tokens_b) + [1],
        label_key: label,
    }


def _instances_from_document(
    documents: list[Document],
    document_index: int,
    task: str,
    max_length: int,
    short_seq_prob: float,
    rng: _Rng,
) -> list[tuple[list[int], list[int], int]]:
    """(A, B, label) triples of one document: BERT ``create_instances_from_document``, ALBERT's SOP."""
    document = documents[document_index]
    max_num_tokens = max_length - _NUM_SPECIAL_TOKENS
    target_length = max_num_tokens
    if rng.random() < short_seq_prob:
        target_length = rng.randint(2, max_num_tokens)

    instances = []
    chunk: Document = []
    chunk_length = 0
    i = 0
    while i < len(document):
        chunk.append(document[i])
        chunk_length += len(document[i])
        if i == len(document) - 1 or chunk_length >= target_length:
            a_end = rng.randint(1, len(chunk) - 1) if len(chunk) >= 2 else 1
            tokens_a = [token for sentence in chunk[:a_end] for token in sentence]
            tokens_b: list[int] = []
            if task == "nsp":
                if len(chunk) == 1 or rng.random() < 0.5:
                    label = 1
                    other = rng.randint(0, len(documents) - 2)
                    if other >= document_index:  # skip the current document
                        other += 1
                    random_document = documents[other]
                    target_b_length = target_length - len(tokens_a)
                    for sentence in random_document[rng.randint(0, len(random_document) - 1) :]:
                        tokens_b.extend(sentence)
                        if len(tokens_b) >= target_b_length:
                            break
                    i -= len(chunk) - a_end  # BERT puts the unused A-side sentences back (:290-293).
                else:
                    label = 0
                    tokens_b = [token for sentence in chunk[a_end:] for token in sentence]
            else:
                if len(chunk) == 1:
                    half = len(chunk[0]) // 2
                    tokens_a, tokens_b = chunk[0][:half], chunk[0][half:]
                else:
                    tokens_b = [token for sentence in chunk[a_end:] for token in sentence]
                label = int(rng.random() < 0.5)
                if label:
                    tokens_a, tokens_b = tokens_b, tokens_a
            if tokens_a and tokens_b:
                _truncate_seq_pair(tokens_a, tokens_b, max_num_tokens, rng)
                instances.append((tokens_a, tokens_b, label))
            chunk, chunk_length = [], 0
        i += 1
    return instances


def _as_token_list(sentence: Any, document: int, index: int) -> list[int]:
    """A sentence's token ids; text (a string, or a document given as one string) is refused, since
    iterating it would silently give characters."""
    if isinstance(sentence, str | bytes) or not isinstance(sentence, Sequence | torch.Tensor | np.ndarray):
        raise TypeError(
            f"documents[{document}][{index}] is {sentence!r:.60}; expected a sentence as a list of token "
            "ids (documents are lists of tokenised sentences: tokenize the text first)"
        )
    tokens = sentence.tolist() if isinstance(sentence, torch.Tensor | np.ndarray) else list(sentence)
    if all(type(token) is int for token in tokens):  # the common case, one pass
        return tokens
    for position, token in enumerate(tokens):
        if isinstance(token, bool) or not isinstance(token, int | np.integer):
            raise TypeError(
                f"documents[{document}][{index}][{position}] is {token!r}; expected integer token ids"
            )
    return [int(token) for token in tokens]


def build_sentence_pair_examples(
    documents: Sequence[Sequence[Sequence[int]]],
    *,
    task: Literal["nsp", "sop"],
    max_length: int,
    cls_token_id: int,
    sep_token_id: int,
    short_seq_prob: float = 0.1,
    seed: int | None = None,
    generator: torch.Generator | None = None,
) -> list[dict[str, Any]]:
    """One pass of NSP or SOP pair examples over ``documents``; call again for another BERT "dupe".

    Each example holds ``input_ids`` = [CLS] A [SEP] B [SEP] (at most ``max_length`` ids),
    ``token_type_ids`` (0 up to the first [SEP], 1 after), ``special_tokens_mask`` and the label
    (``next_sentence_label`` or ``sentence_order_label``). Empty documents and sentences are skipped.
    Randomness comes from ``generator`` if given, else from a generator seeded with ``seed``.
    """
    if task not in PAIR_LABEL_KEYS:
        raise ValueError(f"task must be one of {sorted(PAIR_LABEL_KEYS)}, got {task!r}")
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < _MIN_MAX_LENGTH:
        raise ValueError(
            f"max_length must be an int >= {_MIN_MAX_LENGTH} ([CLS] A [SEP] B [SEP]), got {max_length!r}"
        )
    if not 0.0 <= short_seq_prob <= 1.0:
        raise ValueError(f"short_seq_prob must be in [0, 1], got {short_seq_prob}")
    for name, value in (("cls_token_id", cls_token_id), ("sep_token_id", sep_token_id)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be an int >= 0, got {value!r}")
    if seed is not None and generator is not None:
        raise ValueError(f"pass seed or generator, not both (got seed={seed})")

    corpus = [
        [_as_token_list(s, d, i) for i, s in enumerate(document)] for d, document in enumerate(documents)
    ]
    corpus = [[sentence for sentence in document if sentence] for document in corpus]
    corpus = [document for document in corpus if document]
    if not corpus:
        raise ValueError(f"the corpus has no non-empty document (got {len(documents)} documents)")
    if task == "nsp" and len(corpus) < 2:
        raise ValueError(
            f"NSP draws random B segments from other documents: it needs >= 2 non-empty documents, got {len(corpus)}"
        )

    if generator is None:
        generator = torch.Generator()
        if seed is None:
            generator.seed()
        else:
            generator.manual_seed(seed)
    rng = _Rng(generator)
    label_key = PAIR_LABEL_KEYS[task]
    examples = [
        _pair_example(tokens_a, tokens_b, label_key, label, cls_token_id, sep_token_id)
        for index in range(len(corpus))
        for tokens_a, tokens_b, label in _instances_from_document(
            corpus, index, task, max_length, short_seq_prob, rng
        )
    ]
    if not examples:
        logger.warning("no %s example could be built from %d documents", task, len(corpus))
    return examples


@accepts_tokenizer
@dataclass
class SentencePairCollator:
    """MLM-masks sentence-pair examples with ``mlm`` and passes their NSP or SOP label through.

    The batch holds ``input_ids``, ``attention_mask``, ``token_type_ids``, ``labels`` and either
    ``next_sentence_label`` or ``sentence_order_label`` (b,). [CLS]/[SEP] are never selected: the
    examples' ``special_tokens_mask`` marks them (and a tokenizer lists them as specials).

    ``SentencePairCollator(tokenizer=tok)`` masks with ``MaskedLMCollator(tokenizer=tok)``, an
    unseeded MLM with default settings; ``from_tokenizer(tok, mlm_probability=..., seed=...)`` or
    ``mlm=MaskedLMCollator(tokenizer=tok, ...)`` sets them.
    """

    mlm: MaskedLMCollator

    def __post_init__(self) -> None:
        if not isinstance(self.mlm, MaskedLMCollator):
            raise TypeError(f"mlm must be a MaskedLMCollator, got {type(self.mlm).__name__}")

    @classmethod
    def _tokenizer_fields(cls, tokenizer: Any, given: Mapping[str, Any]) -> dict[str, Any]:
        """``mlm``: a ``MaskedLMCollator`` with its defaults and the tokenizer's ids, unless given."""
        return {} if "mlm" in given else {"mlm": construct(MaskedLMCollator, tokenizer)}

    @classmethod
    def from_tokenizer(cls, tokenizer: Any, **mlm_kwargs: Any) -> SentencePairCollator:
        """Masks with ``MaskedLMCollator(tokenizer=tokenizer, **mlm_kwargs)``."""
        return cls(mlm=construct(MaskedLMCollator, tokenizer, **mlm_kwargs))

    def __call__(self, features: Sequence[dict[str, Any]]) -> dict[str, torch.Tensor]:
        if len(features) == 0 or not isinstance(features[0], dict):
            raise ValueError(
                "features must be a non-empty list of dicts made by build_sentence_pair_examples"
            )
        label_keys = [key for key in PAIR_LABEL_KEYS.values() if key in features[0]]
        if len(label_keys) != 1 or "token_type_ids" not in features[0]:
            raise ValueError(
                "each feature needs token_type_ids and exactly one of "
                f"{sorted(PAIR_LABEL_KEYS.values())}, got keys {sorted(features[0])}"
            )
        return self.mlm(features)
