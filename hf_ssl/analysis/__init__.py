"""Analyses that use trained models without training them: in-context learning, probes."""

from .in_context import PromptFormat, build_prompt, few_shot_accuracy, score_candidates

__all__ = ["PromptFormat", "build_prompt", "few_shot_accuracy", "score_candidates"]
