"""What `hf-ssl pretrain` trains, per family: the pretraining examples, the model and its collators.

Each builder turns tokenised documents into the objective's examples and returns
(train set, eval set, model, training collator, eval collator):
- BERT (MLM + NSP) and ALBERT (MLM + SOP): sentence pairs as google-research/bert's
  create_pretraining_data builds them (`dupe_factor` passes until the step budget is covered);
- RoBERTa (dynamic MLM) and ELECTRA (replaced-token detection): FULL-SENTENCES blocks across
  document boundaries (Liu et al. 2019 §4.2);
- GPT: documents packed into full rows, no attention across them; the prefix LM: text chunks
  split at a random point;
- BART (denoising), MASS (masked sentence halves) and T5 (span corruption): the
  sequence-to-sequence objectives, each with its collator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from transformers import AutoModelForPreTraining, default_data_collator

from ..models.bart import BartConfig, BartForConditionalGeneration
from ..models.electra import ElectraConfig, ElectraForPreTraining
from ..models.gpt import GPTConfig, GPTLMHeadModel
from ..models.mass import MassConfig, MassForConditionalGeneration
from ..models.prefix_lm import PrefixLMConfig, PrefixLMForCausalLM
from ..models.registry import FAMILIES, PretrainingBuilder
from ..models.roberta import RobertaConfig, RobertaForMaskedLM
from ..models.t5 import T5Config, T5ForConditionalGeneration
from ..objectives import (
    CausalLMCollator,
    DenoisingCollator,
    MaskedLMCollator,
    MaskedSeq2SeqCollator,
    PrefixLMCollator,
    SentencePairCollator,
    SpanCorruptionCollator,
    build_sentence_pair_examples,
)
from .settings import PretrainSettings

# Sentence-pair objective of the pair-trained families: BERT's NSP, ALBERT's sentence-order prediction.
PAIR_TASKS: dict[str, Literal["nsp", "sop"]] = {"bert": "nsp", "albert": "sop"}
PAIR_MODELS: dict[str, tuple[type, type]] = {
    spec.cli_name: (spec.config_class, spec.heads[AutoModelForPreTraining])
    for spec in FAMILIES.values()
    if spec.pretraining == "pair"
}
MAX_DUPES = 10  # BERT's dupe_factor: distinct NSP passes over the corpus


def _pair_examples(
    task: Literal["nsp", "sop"],
    tokenizer: Any,
    docs: list[list[list[int]]],
    seq_len: int,
    needed: int,
    seed: int,
) -> list[dict]:
    examples: list[dict] = []
    for dupe in range(MAX_DUPES):
        examples += build_sentence_pair_examples(
            docs,
            task=task,
            max_length=seq_len,
            cls_token_id=tokenizer.cls_token_id,
            sep_token_id=tokenizer.sep_token_id,
            seed=seed * MAX_DUPES + dupe,
        )
        if len(examples) >= needed:
            break
    return examples


def _full_sentence_blocks(tokenizer: Any, docs: list[list[list[int]]], seq_len: int) -> list[dict]:
    """RoBERTa's FULL-SENTENCES: contiguous text across document boundaries (an extra </s> between them)."""
    stream: list[int] = []
    for document in docs:
        for sentence in document:
            stream.extend(sentence)
        stream.append(tokenizer.sep_token_id)
    body = seq_len - 2
    return [
        {"input_ids": [tokenizer.cls_token_id, *stream[i : i + body], tokenizer.sep_token_id]}
        for i in range(0, len(stream) - body + 1, body)
    ]


def complete_doc_blocks(docs: list[list[list[int]]], capacity: int, sentence_end: int) -> list[list[int]]:
    """fairseq's ``TokenBlockDataset(break_mode="complete_doc")``, as BART pretrains on it: whole
    sentences, each closed by ``sentence_end``, packed greedily into blocks of at most ``capacity``
    tokens. No block crosses a document and every block ends at a sentence end, so sentence
    permutation (with ``sentence_end`` as its full stop) permutes sentences. A sentence longer than
    a block is cut to fill one block of its own.
    """
    blocks: list[list[int]] = []
    for document in docs:
        block: list[int] = []
        for sentence in document:
            piece = [*sentence[: capacity - 1], sentence_end]
            if block and len(block) + len(piece) > capacity:
                blocks.append(block)
                block = []
            block.extend(piece)
        if block:
            blocks.append(block)
    return blocks


Built = tuple[list[dict], list[dict], Any, Any, Any]  # train set, eval set, model, collators


def _build_pair(
    settings: PretrainSettings, tokenizer: Any, train_docs: Any, eval_docs: Any, sizes: dict
) -> Built:
    """BERT (MLM + NSP) and ALBERT (MLM + SOP): sentence pairs as create_pretraining_data builds them."""
    task = PAIR_TASKS[settings.model]
    needed = settings.steps * settings.batch_size
    train_set = _pair_examples(task, tokenizer, train_docs, settings.seq_len, needed, settings.seed)
    eval_set = _pair_examples(task, tokenizer, eval_docs, settings.seq_len, 0, settings.seed + 1)
    config_class, model_class = PAIR_MODELS[settings.model]
    model = model_class(config_class(**sizes, max_position_embeddings=max(128, settings.seq_len)))
    collators = [SentencePairCollator.from_tokenizer(tokenizer, seed=settings.seed + i) for i in (0, 1)]
    return train_set, eval_set, model, *collators


def _build_mlm(
    settings: PretrainSettings, tokenizer: Any, train_docs: Any, eval_docs: Any, sizes: dict
) -> Built:
    """RoBERTa (dynamic MLM) and ELECTRA (replaced-token detection) over contiguous blocks."""
    train_set = _full_sentence_blocks(tokenizer, train_docs, settings.seq_len)
    eval_set = _full_sentence_blocks(tokenizer, eval_docs, settings.seq_len)
    model: Any
    make_collator = MaskedLMCollator.from_tokenizer  # RoBERTa: BERT's 80/10/10, drawn anew every batch
    if settings.model == "roberta":
        model = RobertaForMaskedLM(
            RobertaConfig(
                **sizes,
                bos_token_id=tokenizer.cls_token_id,
                eos_token_id=tokenizer.sep_token_id,
                max_position_embeddings=settings.seq_len + tokenizer.pad_token_id + 1,
            )
        )
    else:
        model = ElectraForPreTraining(
            ElectraConfig(**sizes, max_position_embeddings=max(128, settings.seq_len))
        )
        make_collator = MaskedLMCollator.electra  # draws with replacement, 85% [MASK], 15% kept
    collators = [make_collator(tokenizer, seed=settings.seed + i) for i in (0, 1)]
    return train_set, eval_set, model, *collators


def _build_causal(
    settings: PretrainSettings, tokenizer: Any, train_docs: Any, eval_docs: Any, sizes: dict
) -> Built:
    """GPT: documents packed into full rows, <|endoftext|> between them, no attention across them."""
    packer = CausalLMCollator(
        pad_token_id=tokenizer.eos_token_id, pack_length=settings.seq_len, eos_token_id=tokenizer.eos_token_id
    )

    def rows(docs: Any) -> list[dict]:
        packed = packer([[t for sentence in doc for t in sentence] for doc in docs])
        return [{k: v[i] for k, v in packed.items()} for i in range(len(packed["input_ids"]))]

    context = max(sizes.pop("max_position_embeddings", 0), settings.seq_len)
    model = GPTLMHeadModel(
        GPTConfig(
            **sizes,
            max_position_embeddings=context,
            bos_token_id=tokenizer.eos_token_id,
            eos_token_id=tokenizer.eos_token_id,
        )
    )
    return rows(train_docs), rows(eval_docs), model, default_data_collator, default_data_collator


def _build_denoising(
    settings: PretrainSettings, tokenizer: Any, train_docs: Any, eval_docs: Any, sizes: dict
) -> Built:
    """BART (text infilling + sentence permutation over <s> document </s>), MASS (half of each
    [CLS] sentence [SEP] masked, the decoder restoring it) and T5 (span corruption over the
    concatenated text): the sequence-to-sequence objectives, each with its collator."""
    model: Any
    context = max(sizes.pop("max_position_embeddings", 0), settings.seq_len)
    if settings.model == "bart":
        # <s> s1 </s> ... sk </s> </s>, as fairseq's denoising task builds it: binarised lines end
        # with </s> (the full stop of sentence permutation for a non-GPT-2 BPE), then <s> and </s>
        # go around each block.
        def rows(docs: Any) -> list[dict]:
            blocks = complete_doc_blocks(docs, settings.seq_len - 2, tokenizer.eos_token_id)
            return [
                {"input_ids": [tokenizer.bos_token_id, *block, tokenizer.eos_token_id]} for block in blocks
            ]

        specials = {
            "bos_token_id": tokenizer.bos_token_id,
            "eos_token_id": tokenizer.eos_token_id,
            "decoder_start_token_id": tokenizer.eos_token_id,
            "forced_eos_token_id": tokenizer.eos_token_id,
        }
        model = BartForConditionalGeneration(BartConfig(**sizes, **specials, max_position_embeddings=context))
        collators: list[Any] = [
            DenoisingCollator.from_tokenizer(
                tokenizer, full_stop_token_id=tokenizer.eos_token_id, seed=settings.seed + i
            )
            for i in (0, 1)
        ]
        return rows(train_docs), rows(eval_docs), model, *collators
    if settings.model == "mass":

        def rows(docs: Any) -> list[dict]:
            keep = settings.seq_len - 2
            return [
                {"input_ids": [tokenizer.cls_token_id, *sentence[:keep], tokenizer.sep_token_id]}
                for doc in docs
                for sentence in doc
                if len(sentence) >= 4
            ]

        specials = {
            "bos_token_id": tokenizer.cls_token_id,
            "eos_token_id": tokenizer.sep_token_id,
            "decoder_start_token_id": tokenizer.sep_token_id,
            "forced_eos_token_id": tokenizer.sep_token_id,
        }
        model = MassForConditionalGeneration(MassConfig(**sizes, **specials, max_position_embeddings=context))
        collators = [
            MaskedSeq2SeqCollator.from_tokenizer(tokenizer, mask_cross_attention=True, seed=settings.seed + i)
            for i in (0, 1)
        ]
        return rows(train_docs), rows(eval_docs), model, *collators
    # T5: documents as plain token streams; the collator concatenates a batch and cuts it into
    # fixed-length chunks (one row per chunk), appending </s>.
    collators = [
        SpanCorruptionCollator.from_tokenizer(
            tokenizer, inputs_length=settings.seq_len, seed=settings.seed + i
        )
        for i in (0, 1)
    ]
    model = T5ForConditionalGeneration(
        T5Config(
            **sizes,
            eos_token_id=tokenizer.eos_token_id,
            decoder_start_token_id=tokenizer.pad_token_id,
        )
    )

    def documents(docs: Any) -> list[dict]:
        return [{"input_ids": [t for sentence in doc for t in sentence]} for doc in docs if any(doc)]

    return documents(train_docs), documents(eval_docs), model, *collators


def _build_prefix(
    settings: PretrainSettings, tokenizer: Any, train_docs: Any, eval_docs: Any, sizes: dict
) -> Built:
    """Prefix LM: text chunks split at a random point, bidirectional before it, predicted after it."""
    body = settings.seq_len - 1  # the collator appends </s>

    def rows(docs: Any) -> list[dict]:
        stream = [t for doc in docs for sentence in doc for t in sentence]
        return [{"input_ids": stream[i : i + body]} for i in range(0, len(stream) - body + 1, body)]

    context = max(sizes.pop("max_position_embeddings", 0), settings.seq_len)
    eos = tokenizer.eos_token_id
    model = PrefixLMForCausalLM(
        PrefixLMConfig(**sizes, max_position_embeddings=context, bos_token_id=eos, eos_token_id=eos)
    )
    collators: list[Any] = [
        PrefixLMCollator.from_tokenizer(tokenizer, seed=settings.seed + i) for i in (0, 1)
    ]
    return rows(train_docs), rows(eval_docs), model, *collators


# How each kind of pretraining data, model and collators is built; families name their kind.
_BUILDERS_BY_KIND: dict[PretrainingBuilder, Callable[..., Built]] = {
    "pair": _build_pair,
    "mlm": _build_mlm,
    "causal": _build_causal,
    "denoising": _build_denoising,
    "prefix": _build_prefix,
}
# The builder of every family `hf-ssl pretrain` trains, by its command-line name.
BUILDERS: dict[str, Callable[..., Built]] = {
    spec.cli_name: _BUILDERS_BY_KIND[spec.pretraining]
    for spec in FAMILIES.values()
    if spec.pretraining is not None
}
