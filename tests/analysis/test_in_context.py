"""In-context learning helper: prompts, log-likelihood scoring, and few- vs zero-shot accuracy."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

import hf_ssl
from hf_ssl.analysis import PromptFormat, build_prompt, few_shot_accuracy, score_candidates
from hf_ssl.data import iter_texts, load_default_corpus, train_gpt2_tokenizer


@pytest.fixture(scope="module")
def tokenizer():
    return train_gpt2_tokenizer(list(iter_texts(load_default_corpus()[:300])), vocab_size=600)


class InductionModel(torch.nn.Module):
    """A stand-in LM that predicts by copying: it finds the earlier position whose preceding tokens
    match the current ones longest (at least 2) and expects what followed it then (an ideal
    induction head). With no such match it is uniform, so it can only answer from demonstrations."""

    def __init__(self, vocab_size: int) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.anchor = torch.nn.Parameter(torch.zeros(1))

    def forward(self, input_ids, attention_mask=None):
        logits = torch.zeros(*input_ids.shape, self.vocab_size)
        for b, row in enumerate(input_ids.tolist()):
            for i in range(len(row)):
                best, target = 1, None
                for j in range(i - 1, -1, -1):
                    match = 0
                    while match <= j and row[j - match] == row[i - match]:
                        match += 1
                    if match > best:
                        best, target = match, row[j + 1]
                if target is not None:
                    logits[b, i, target] = 20.0
        return SimpleNamespace(logits=logits)


PAIRS = [("whale", "big"), ("minnow", "small"), ("ocean", "big"), ("pebble", "small")]


def test_prompts_put_the_instruction_then_demonstrations_then_the_open_query():
    fmt = PromptFormat(instruction="Size of things.", template="Q: {input}\nA: {output}", separator="\n")
    prompt = build_prompt(fmt, [("whale", "big")], "pebble")
    assert prompt == "Size of things.\nQ: whale\nA: big\nQ: pebble\nA:"
    assert build_prompt(fmt, [], "pebble") == "Size of things.\nQ: pebble\nA:"
    assert fmt.answer_gap == " "  # scored with the answer: " big", as the demonstrations tokenise it


def test_a_template_without_a_final_output_slot_is_refused():
    with pytest.raises(ValueError, match="must come last"):
        PromptFormat(template="{output} is the answer to {input}")


def test_scores_are_the_summed_log_probabilities_of_the_answer_tokens(tokenizer):
    torch.manual_seed(0)
    model = hf_ssl.GPTLMHeadModel(
        hf_ssl.GPTConfig(
            vocab_size=len(tokenizer),
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=64,
            max_position_embeddings=128,
            bos_token_id=0,
            eos_token_id=0,
        )
    ).eval()  # no dropout, so the reference below is deterministic
    prompt, candidates = "Input: whale\nOutput: ", ["big", "very small"]
    scores = score_candidates(model, tokenizer, prompt, candidates)
    prompt_ids = tokenizer(prompt)["input_ids"]
    for score, candidate in zip(scores, candidates, strict=True):
        ids = prompt_ids + tokenizer(candidate)["input_ids"]
        with torch.no_grad():
            log_probs = model(torch.tensor([ids])).logits[0].log_softmax(-1)
        expected = sum(log_probs[p - 1, ids[p]] for p in range(len(prompt_ids), len(ids)))
        torch.testing.assert_close(score, expected)


def test_demonstrations_turn_a_chance_answer_into_the_right_one(tokenizer):
    model = InductionModel(len(tokenizer))
    fmt = PromptFormat(template="Input: {input}\nOutput: {output}")
    kwargs = {"candidates": ["big", "small"], "seed": 0}
    zero = few_shot_accuracy(model, tokenizer, fmt, PAIRS, PAIRS, shots=0, **kwargs)
    few = few_shot_accuracy(model, tokenizer, fmt, PAIRS, PAIRS, shots=len(PAIRS), **kwargs)
    assert zero["accuracy"] == 0.5  # uniform scores: always the first candidate
    assert few["accuracy"] == 1.0
    assert few["first_prompt"].count("Output:") == len(PAIRS) + 1


def test_bad_requests_name_the_value(tokenizer):
    model = InductionModel(len(tokenizer))
    with pytest.raises(ValueError, match="shots=9"):
        few_shot_accuracy(
            model, tokenizer, PromptFormat(), PAIRS, PAIRS, shots=9, candidates=["big", "small"]
        )
    with pytest.raises(ValueError, match=r"\['small'\] are not among the candidates"):
        few_shot_accuracy(model, tokenizer, PromptFormat(), PAIRS, PAIRS, shots=1, candidates=["big"])
