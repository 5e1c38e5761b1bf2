"""A labelled task derived from any corpus: sentence mood (statement, question, exclamation).

The final punctuation mark is the label and is removed from the text, so the model must read the
sentence's syntax (wh-words, subject-auxiliary inversion, interjections) to recover it. It needs no
annotation, works on the embedded default corpus, and gives the README's main job a real downstream
task to fine-tune on. Classes are balanced by down-sampling to the rarest one.
"""

from __future__ import annotations

import csv
import os
import random
import re
from collections.abc import Iterable
from pathlib import Path

from .corpus import Document

MOODS = {".": "statement", "?": "question", "!": "exclamation"}
_ENDING = re.compile(r"""([.?!])["'’”)\]]*\s*$""")
_MIN_WORDS = 4


def sentence_mood(sentence: str) -> tuple[str, str] | None:
    """(text without its final mark, mood) of one sentence, or None when it is not a task example
    (no final . ? or !, fewer than 4 words, or a mark left inside the end, as in "?!")."""
    match = _ENDING.search(sentence)
    if match is None:
        return None
    text = sentence[: match.start()].strip().strip("\"'“‘ ")
    if len(text.split()) < _MIN_WORDS or any(mark in text[-2:] for mark in "?!"):
        return None
    return text, MOODS[match.group(1)]


def sentence_mood_examples(documents: Iterable[Document], *, seed: int = 0) -> list[dict[str, str]]:
    """{"text", "label"} rows, balanced across the three moods, shuffled with `seed`."""
    by_label: dict[str, list[dict[str, str]]] = {label: [] for label in MOODS.values()}
    for document in documents:
        for sentence in document:
            example = sentence_mood(sentence)
            if example is not None:
                by_label[example[1]].append({"text": example[0], "label": example[1]})
    smallest = min(len(rows) for rows in by_label.values())
    if smallest == 0:
        raise ValueError(f"the corpus lacks a mood: counts { ({k: len(v) for k, v in by_label.items()}) }")
    rng = random.Random(seed)
    rows = [row for label_rows in by_label.values() for row in rng.sample(label_rows, smallest)]
    rng.shuffle(rows)
    return rows


def without_examples(documents: Iterable[Document], rows: Iterable[dict[str, str]]) -> list[Document]:
    """`documents` minus every sentence that gives one of `rows`' texts: pretraining text that holds
    none of the sentences a task evaluates on (with their final marks, which are the labels)."""
    held_out = {row["text"] for row in rows}
    kept = []
    for document in documents:
        sentences = []
        for sentence in document:
            example = sentence_mood(sentence)
            if example is None or example[0] not in held_out:
                sentences.append(sentence)
        kept.append(sentences)
    return kept


def write_task_files(
    rows: list[dict[str, str]], directory: str | os.PathLike[str], *, dev_fraction: float = 0.2
) -> tuple[Path, Path]:
    """Write train.csv and dev.csv (columns text,label) and return their paths."""
    if not 0.0 < dev_fraction < 1.0:
        raise ValueError(f"dev_fraction={dev_fraction}; expected a fraction in (0, 1)")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    cut = int(len(rows) * (1 - dev_fraction))
    paths = []
    for name, part in (("train.csv", rows[:cut]), ("dev.csv", rows[cut:])):
        path = directory / name
        temporary = path.with_suffix(".csv.tmp")
        with temporary.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=["text", "label"])
            writer.writeheader()
            writer.writerows(part)
        temporary.replace(path)
        paths.append(path)
    return paths[0], paths[1]
