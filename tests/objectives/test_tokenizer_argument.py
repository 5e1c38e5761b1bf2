"""Every collator takes ``tokenizer=``, as transformers' collators do: the tokenizer fills the ids the
collator would otherwise be given, explicit arguments win, and a missing token is named.

One tiny word-level tokenizer, built here with known ids, serves every collator; each case lists
the fields that tokenizer must fill, written out by hand.
"""

from __future__ import annotations

import dataclasses
import inspect
import pickle
import re
from collections.abc import Callable
from typing import Any

import pytest
import torch
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

import hf_ssl.objectives
from hf_ssl.objectives import (
    CausalLMCollator,
    CBOWCollator,
    CharLMCollator,
    DenoisingCollator,
    GPTTaskCollator,
    MaskedLMCollator,
    MaskedSeq2SeqCollator,
    PackingCollator,
    PermutationLMCollator,
    PrefixLMCollator,
    SentencePairCollator,
    Seq2SeqPackingCollator,
    SpanCorruptionCollator,
    build_word_vocab,
)
from hf_ssl.objectives.cbow import count_tokens
from hf_ssl.objectives.rng import collator_rngs

ROLES = {"pad": "<pad>", "bos": "<s>", "eos": "</s>", "unk": "<unk>", "mask": "<mask>"}
PAD, BOS, EOS, UNK, MASK = range(5)
WORDS = ["Ġthe", "Ġcat", "Ġsat", "Ġon", "Ġmat", "s", ".", "Ġdog", "Ġran", "Ġhome"]
THE, CAT, SAT, ON, MAT, S, FULL_STOP, DOG, RAN, HOME = range(5, 15)
NUM_SENTINELS = 20
SENTINELS = tuple(range(15, 15 + NUM_SENTINELS))  # <extra_id_0> ... in order
VOCAB_SIZE = 15 + NUM_SENTINELS
SPECIAL_IDS = {PAD, BOS, EOS, UNK, MASK, *SENTINELS}


def make_tokenizer(*, without: tuple[str, ...] = (), sentinels: bool = True) -> PreTrainedTokenizerFast:
    """The tiny tokenizer; ``without`` leaves roles unset (their tokens stay in the vocabulary)."""
    extras = [f"<extra_id_{i}>" for i in range(NUM_SENTINELS)] if sentinels else []
    tokens = [*ROLES.values(), *WORDS, *extras]
    backend = Tokenizer(models.WordLevel({token: i for i, token in enumerate(tokens)}, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    name = "tiny" + "".join(f"-no-{role}" for role in without)
    roles = {f"{role}_token": token for role, token in ROLES.items() if role not in without}
    return PreTrainedTokenizerFast(
        tokenizer_object=backend, name_or_path=name, extra_special_tokens=extras, **roles
    )


def test_the_tiny_tokenizer_has_the_ids_the_cases_assume():
    tokenizer = make_tokenizer()
    assert len(tokenizer) == VOCAB_SIZE and set(tokenizer.all_special_ids) == SPECIAL_IDS
    assert [tokenizer.pad_token_id, tokenizer.bos_token_id, tokenizer.eos_token_id] == [PAD, BOS, EOS]
    assert [tokenizer.unk_token_id, tokenizer.mask_token_id] == [UNK, MASK]
    assert tokenizer.convert_tokens_to_ids(["Ġthe", ".", "<extra_id_0>"]) == [THE, FULL_STOP, SENTINELS[0]]


def named(tokenizer: Any) -> str:
    """How an error must name the tokenizer, as a regex."""
    return re.escape(f"tokenizer {type(tokenizer).__name__}({tokenizer.name_or_path!r})")


def specials(tokenizer: Any, *, but: tuple[int, ...] = ()) -> tuple[int, ...]:
    """The tokenizer's special ids in its own order (collators keep the order they are given)."""
    return tuple(i for i in tokenizer.all_special_ids if i not in but)


# Word starts of the tiny vocabulary: "Ġ" words and special tokens (fairseq's rule).
WORD_STARTS = [i in SPECIAL_IDS or (5 <= i < 15 and WORDS[i - 5].startswith("Ġ")) for i in range(VOCAB_SIZE)]

SENTENCES = [[BOS, THE, CAT, SAT, ON, THE, MAT, FULL_STOP, EOS], [BOS, DOG, S, RAN, HOME, EOS]]
WORD_ROWS = [[THE, CAT, SAT, ON, THE, MAT, S], [DOG, RAN, HOME, FULL_STOP, THE, CAT]]
PAIRS = [
    {
        "input_ids": [BOS, THE, CAT, EOS, SAT, ON, MAT, EOS],
        "token_type_ids": [0, 0, 0, 0, 1, 1, 1, 1],
        "special_tokens_mask": [1, 0, 0, 1, 0, 0, 0, 1],
        "next_sentence_label": 0,
    },
    {
        "input_ids": [BOS, DOG, RAN, EOS, HOME, EOS],
        "token_type_ids": [0, 0, 0, 0, 1, 1],
        "special_tokens_mask": [1, 0, 0, 1, 0, 1],
        "next_sentence_label": 1,
    },
]
COUNTS = count_tokens(WORD_ROWS, VOCAB_SIZE)


def denoising(**fields: Any) -> DenoisingCollator:
    return DenoisingCollator(
        vocab_size=VOCAB_SIZE,
        mask_token_id=MASK,
        bos_token_id=BOS,
        pad_token_id=PAD,
        eos_token_id=EOS,
        special_token_ids=specials(make_tokenizer()),
        full_stop_token_id=FULL_STOP,
        word_start_mask=WORD_STARTS,
        **fields,
    )


@dataclasses.dataclass
class Case:
    """One collator: the other arguments, the fields the tokenizer must fill, a batch, an explicit
    value that must beat the tokenizer's, and the roles whose absence must be named."""

    cls: type
    kwargs: Callable[[], dict[str, Any]]
    filled: Callable[[], dict[str, Any]]
    features: list[Any]
    override: tuple[str, Any] | None
    missing: tuple[tuple[str, ...], str] | None  # (roles left unset, error message)


CASES = {
    "masked_lm": Case(
        MaskedLMCollator,
        lambda: {"mlm_probability": 0.5, "seed": 0},
        lambda: {
            "vocab_size": VOCAB_SIZE,
            "mask_token_id": MASK,
            "pad_token_id": PAD,
            "special_token_ids": specials(make_tokenizer(), but=(UNK,)),  # BERT masks [UNK] like a word
        },
        SENTENCES,
        ("vocab_size", VOCAB_SIZE + 10),
        (("mask",), "no mask token; MLM needs one"),
    ),
    "causal_lm": Case(
        CausalLMCollator,
        lambda: {"pad_to_multiple_of": 4},
        lambda: {"pad_token_id": PAD, "eos_token_id": EOS},
        SENTENCES,
        ("eos_token_id", None),
        (("pad", "eos"), "neither a pad nor an eos token"),
    ),
    "prefix_lm": Case(
        PrefixLMCollator,
        lambda: {"seed": 0},
        lambda: {"pad_token_id": PAD, "eos_token_id": EOS},
        SENTENCES,
        ("pad_token_id", UNK),
        (("pad", "eos"), "neither a pad nor an eos token"),
    ),
    "denoising": Case(
        DenoisingCollator,
        lambda: {"seed": 0, "mask_ratio": 0.5, "rotate_ratio": 0.5},
        lambda: {
            "vocab_size": VOCAB_SIZE,
            "mask_token_id": MASK,
            "bos_token_id": BOS,
            "pad_token_id": PAD,
            "eos_token_id": EOS,
            "special_token_ids": specials(make_tokenizer()),
            "full_stop_token_id": FULL_STOP,
            "word_start_mask": WORD_STARTS,
        },
        SENTENCES,
        ("full_stop_token_id", EOS),
        (("bos",), "no bos token; BART denoising needs one"),
    ),
    "masked_seq2seq": Case(
        MaskedSeq2SeqCollator,
        lambda: {"seed": 0},
        lambda: {
            "vocab_size": VOCAB_SIZE,
            "mask_token_id": MASK,
            "pad_token_id": PAD,
            "special_token_ids": specials(make_tokenizer()),
        },
        SENTENCES,
        ("mask_token_id", HOME),
        (("mask",), "no mask token; MASS needs one"),
    ),
    "span_corruption": Case(
        SpanCorruptionCollator,
        lambda: {"inputs_length": 8, "noise_density": 0.2, "mean_noise_span_length": 2.0, "seed": 0},
        lambda: {"pad_token_id": PAD, "eos_token_id": EOS, "sentinel_ids": list(SENTINELS)},
        WORD_ROWS,
        ("sentinel_ids", [HOME, RAN, DOG, MAT]),
        (("eos",), "no eos token; span corruption needs one"),
    ),
    "sentence_pairs": Case(
        SentencePairCollator,
        dict,
        lambda: {
            "mlm": MaskedLMCollator(
                vocab_size=VOCAB_SIZE,
                mask_token_id=MASK,
                pad_token_id=PAD,
                special_token_ids=specials(make_tokenizer(), but=(UNK,)),
            )
        },
        PAIRS,
        ("mlm", MaskedLMCollator(vocab_size=VOCAB_SIZE, mask_token_id=MASK, pad_token_id=PAD)),
        (("mask",), "no mask token; MLM needs one"),
    ),
    "gpt_tasks": Case(
        GPTTaskCollator,
        lambda: {"task": "entailment", "max_length": 8},
        # The tokenizer lacks GPT-1's task tokens, so they are added after its 35 ids.
        lambda: {
            "start_token_id": VOCAB_SIZE,
            "delimiter_token_id": VOCAB_SIZE + 1,
            "extract_token_id": VOCAB_SIZE + 2,
            "pad_token_id": PAD,
        },
        [
            {"input_ids": [THE, CAT, SAT], "pair_ids": [DOG], "label": 0},
            {"input_ids": [ON, MAT], "pair_ids": [RAN, HOME, S, THE], "label": 1},
        ],
        ("pad_token_id", UNK),
        (("pad", "eos"), "neither a pad nor an eos token"),
    ),
    "permutation_lm": Case(
        PermutationLMCollator,
        lambda: {"k": 3.0, "seed": 0},
        lambda: {"pad_token_id": PAD, "special_token_ids": specials(make_tokenizer(), but=(UNK,))},
        SENTENCES,
        ("special_token_ids", ()),
        (("pad", "eos"), "neither a pad nor an eos token"),
    ),
    "cbow": Case(
        CBOWCollator,
        lambda: {"counts": COUNTS, "window": 2, "num_negatives": 2, "seed": 0},
        lambda: {"pad_token_id": PAD, "special_token_ids": specials(make_tokenizer())},
        WORD_ROWS,
        ("special_token_ids", ()),
        None,  # a tokenizer without pad leaves CBOW's default, 0
    ),
    "char_lm": Case(
        CharLMCollator,
        lambda: {"vocab": build_word_vocab([["the", "cat"], ["a", "dog"]])},
        dict,  # a subword tokenizer knows nothing of the biLM's word vocabulary
        ["the cat sat", ["a", "dog"]],
        None,
        None,
    ),
    "packing": Case(
        PackingCollator,
        lambda: {"collator": CausalLMCollator(pad_token_id=PAD), "row_length": 16},
        lambda: {"pad_token_id": PAD},
        SENTENCES,
        ("pad_token_id", UNK),
        (("pad", "eos"), "neither a pad nor an eos token"),
    ),
    "seq2seq_packing": Case(
        Seq2SeqPackingCollator,
        lambda: {"collator": denoising(seed=0), "source_length": 24, "target_length": 24},
        lambda: {"pad_token_id": PAD},
        SENTENCES,
        ("pad_token_id", UNK),
        (("pad", "eos"), "neither a pad nor an eos token"),
    ),
}


def assert_same_fields(built: Any, expected: Any) -> None:
    """Field for field (tensors by value, nested collators recursively); private state is skipped."""
    assert type(built) is type(expected)
    for field in dataclasses.fields(built):
        if field.name.startswith("_"):
            continue
        value, wanted = getattr(built, field.name), getattr(expected, field.name)
        if dataclasses.is_dataclass(value):
            assert_same_fields(value, wanted)
        elif isinstance(value, torch.Tensor) or isinstance(wanted, torch.Tensor):
            assert torch.equal(torch.as_tensor(value), torch.as_tensor(wanted)), field.name
        else:
            assert value == wanted, (field.name, value, wanted)


def collate(collator: Any, features: list[Any]) -> dict[str, torch.Tensor]:
    """One batch, every generator the collator holds (also a wrapped one's) reseeded first."""
    for rng in collator_rngs(collator):
        rng.generator.manual_seed(0)
    return collator(features)


@pytest.mark.parametrize("name", CASES)
def test_a_tokenizer_fills_the_fields_its_ids_would(name):
    case = CASES[name]
    built = case.cls(tokenizer=make_tokenizer(), **case.kwargs())
    assert_same_fields(built, case.cls(**case.filled(), **case.kwargs()))


@pytest.mark.parametrize("name", CASES)
def test_a_tokenizer_and_its_ids_give_identical_batches(name):
    case = CASES[name]
    built = case.cls(tokenizer=make_tokenizer(), **case.kwargs())
    batch = collate(built, case.features)
    expected = collate(case.cls(**case.filled(), **case.kwargs()), case.features)
    assert batch.keys() == expected.keys()
    for key in batch:
        assert torch.equal(batch[key], expected[key]), key


@pytest.mark.parametrize("name", [name for name, case in CASES.items() if case.override])
def test_an_explicit_keyword_beats_the_tokenizer(name):
    case = CASES[name]
    assert case.override is not None
    field, value = case.override
    assert case.filled()[field] != value, "the override must differ from the tokenizer's value"
    built = case.cls(tokenizer=make_tokenizer(), **case.kwargs(), **{field: value})
    assert_same_fields(built, case.cls(**{**case.filled(), field: value}, **case.kwargs()))


@pytest.mark.parametrize("name", [name for name, case in CASES.items() if case.missing])
def test_a_tokenizer_without_a_needed_token_is_named_in_a_value_error(name):
    case = CASES[name]
    assert case.missing is not None
    roles, message = case.missing
    tokenizer = make_tokenizer(without=roles)
    with pytest.raises(ValueError, match=named(tokenizer)):
        case.cls(tokenizer=tokenizer, **case.kwargs())
    with pytest.raises(ValueError, match=message):
        case.cls(tokenizer=tokenizer, **case.kwargs())


def test_an_explicit_id_stands_in_for_a_token_the_tokenizer_lacks():
    tokenizer = make_tokenizer(without=("mask",))
    built = MaskedLMCollator(tokenizer=tokenizer, mask_token_id=MASK)
    expected = MaskedLMCollator(VOCAB_SIZE, MASK, PAD, specials(tokenizer, but=(UNK,)))
    assert_same_fields(built, expected)
    causal = CausalLMCollator(tokenizer=make_tokenizer(without=("pad", "eos")), pad_token_id=PAD)
    assert (causal.pad_token_id, causal.eos_token_id) == (PAD, None)


def test_a_tokenizer_without_pad_pads_with_eos_as_gpt2_does():
    tokenizer = make_tokenizer(without=("pad",))
    for cls in (CausalLMCollator, PrefixLMCollator):
        assert cls(tokenizer=tokenizer).pad_token_id == EOS
    packing = PackingCollator(CausalLMCollator(pad_token_id=EOS), 16, tokenizer=tokenizer)
    assert packing.pad_token_id == EOS
    assert CBOWCollator(tokenizer=tokenizer, counts=COUNTS).pad_token_id == 0  # CBOW's default


def test_a_field_given_positionally_is_not_taken_from_the_tokenizer():
    tokenizer = make_tokenizer()
    mlm = MaskedLMCollator(VOCAB_SIZE + 10, tokenizer=tokenizer)
    assert (mlm.vocab_size, mlm.mask_token_id, mlm.pad_token_id) == (VOCAB_SIZE + 10, MASK, PAD)
    causal = CausalLMCollator(UNK, tokenizer=tokenizer)
    assert (causal.pad_token_id, causal.eos_token_id) == (UNK, EOS)
    gpt = GPTTaskCollator("classification", HOME, RAN, DOG, tokenizer=tokenizer)
    assert (gpt.start_token_id, gpt.delimiter_token_id, gpt.extract_token_id, gpt.pad_token_id) == (
        HOME,
        RAN,
        DOG,
        PAD,
    )
    packing = PackingCollator(CausalLMCollator(pad_token_id=PAD), 16, UNK, tokenizer=tokenizer)
    assert packing.pad_token_id == UNK
    with pytest.raises(TypeError, match="multiple values for argument 'vocab_size'"):
        MaskedLMCollator(VOCAB_SIZE, vocab_size=VOCAB_SIZE, tokenizer=tokenizer)


def test_from_tokenizer_builds_what_the_tokenizer_argument_builds():
    for name in ("masked_lm", "causal_lm", "prefix_lm", "denoising", "masked_seq2seq", "span_corruption"):
        case = CASES[name]
        assert_same_fields(
            case.cls.from_tokenizer(make_tokenizer(), **case.kwargs()),
            case.cls(tokenizer=make_tokenizer(), **case.kwargs()),
        )
    assert_same_fields(
        GPTTaskCollator.from_tokenizer(make_tokenizer(), "entailment", max_length=8),
        GPTTaskCollator(tokenizer=make_tokenizer(), task="entailment", max_length=8),
    )
    tokenizer = make_tokenizer()
    assert_same_fields(
        CBOWCollator.from_tokenizer(tokenizer, WORD_ROWS, window=2),
        CBOWCollator(tokenizer=tokenizer, counts=COUNTS, window=2),
    )
    assert_same_fields(
        SentencePairCollator.from_tokenizer(tokenizer, mlm_probability=0.3),
        SentencePairCollator(mlm=MaskedLMCollator(tokenizer=tokenizer, mlm_probability=0.3)),
    )
    electra = MaskedLMCollator.electra(tokenizer, seed=1)
    assert electra.sample_with_replacement and electra.mask_token_id == MASK and electra.seed == 1


def test_gpt_task_tokens_are_added_to_the_tokenizer_only_when_an_id_is_missing():
    tokenizer = make_tokenizer()
    GPTTaskCollator("classification", HOME, RAN, DOG, tokenizer=tokenizer)
    assert len(tokenizer) == VOCAB_SIZE
    GPTTaskCollator("classification", HOME, RAN, tokenizer=tokenizer)
    assert len(tokenizer) == VOCAB_SIZE + 3
    assert tokenizer.convert_ids_to_tokens([VOCAB_SIZE]) == ["_start_"]


def test_span_corruption_needs_sentinels_from_the_tokenizer_or_the_caller():
    tokenizer = make_tokenizer(sentinels=False)
    kwargs = CASES["span_corruption"].kwargs()
    with pytest.raises(ValueError, match=named(tokenizer) + " has no <extra_id_N>"):
        SpanCorruptionCollator(tokenizer=tokenizer, **kwargs)
    built = SpanCorruptionCollator(tokenizer=tokenizer, sentinel_ids=[HOME, RAN, DOG], **kwargs)
    assert list(built.sentinel_ids or ()) == [HOME, RAN, DOG] and built.eos_token_id == EOS


def test_denoising_reads_no_word_starts_for_subword_masking():
    built = DenoisingCollator(tokenizer=make_tokenizer(), mask_length="subword", replace_length=0)
    assert built.word_start_mask is None and built.vocab_size == VOCAB_SIZE
    given = DenoisingCollator(tokenizer=make_tokenizer(), word_start_mask=[True] * VOCAB_SIZE)
    assert torch.equal(torch.as_tensor(given.word_start_mask), torch.ones(VOCAB_SIZE, dtype=torch.bool))


@pytest.mark.parametrize(
    ("cls", "kwargs", "field"),
    [
        (CBOWCollator, {}, "counts"),
        (CharLMCollator, {}, "vocab"),
        (PackingCollator, {"row_length": 16}, "collator"),
        (Seq2SeqPackingCollator, {"source_length": 8}, "collator"),
    ],
)
def test_fields_no_tokenizer_can_supply_stay_required(cls, kwargs, field):
    tokenizer = make_tokenizer()
    with pytest.raises(TypeError, match=rf"{field}.*{named(tokenizer)} cannot supply"):
        cls(tokenizer=tokenizer, **kwargs)


def test_without_a_tokenizer_construction_is_unchanged():
    for no_tokenizer in ({}, {"tokenizer": None}):
        with pytest.raises(TypeError, match="missing 3 required positional arguments"):
            MaskedLMCollator(**no_tokenizer)
        with pytest.raises(ValueError, match="mask_token_id must be an int"):
            MaskedLMCollator(VOCAB_SIZE, VOCAB_SIZE, PAD, **no_tokenizer)
        with pytest.raises(TypeError, match="unexpected keyword argument 'mask_token'"):
            MaskedLMCollator(VOCAB_SIZE, MASK, PAD, mask_token="<mask>", **no_tokenizer)


def test_every_collator_takes_a_keyword_only_tokenizer_and_has_a_case_here():
    collators = {
        getattr(hf_ssl.objectives, name) for name in hf_ssl.objectives.__all__ if name.endswith("Collator")
    }
    assert collators == {case.cls for case in CASES.values()}
    for cls in collators:
        parameter = inspect.signature(cls).parameters["tokenizer"]
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY and parameter.default is None, cls


def test_the_tokenizer_is_read_once_and_not_kept():
    built = MaskedLMCollator(tokenizer=make_tokenizer(), seed=0)
    assert "tokenizer" not in repr(built) and not any(
        "tokenizer" in f.name for f in dataclasses.fields(built)
    )
    assert_same_fields(pickle.loads(pickle.dumps(built)), built)
    assert dataclasses.replace(built, mlm_probability=0.3).mask_token_id == MASK
