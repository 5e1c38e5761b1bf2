"""CoNLL-format tagging data: read and write token-per-line files, and align tags with a tokenizer.

Format (CoNLL-2000 chunking, CoNLL-2003 NER, Tjong Kim Sang & De Meulder 2003 §2): one token per
line with whitespace-separated columns (token first, the tag usually last), a blank line between
sentences, and `-DOCSTART-` lines between documents (skipped here).

`tokenize_and_align` follows the usual Hugging Face recipe for token classification: a sentence is
tokenized with `is_split_into_words=True`; the first token of each word carries the word's tag;
special tokens, padding and (unless `label_all_tokens`) a word's later subword tokens get
IGNORE_INDEX. A word-level tokenizer gives exactly one token per word.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypedDict

from ..constants import IGNORE_INDEX

__all__ = ["TaggedSentence", "label_names", "read_conll", "tokenize_and_align", "write_conll"]

DOCUMENT_START = "-DOCSTART-"
OUTSIDE = "O"


class TaggedSentence(TypedDict):
    tokens: list[str]
    tags: list[str]


def read_conll(path: str | os.PathLike[str], *, tag_column: int = -1) -> list[TaggedSentence]:
    """Sentences of a CoNLL file as {"tokens", "tags"}; `tag_column` picks the tag (-1: the last).

    Raises ValueError naming the line when a line has too few columns for `tag_column`.
    """
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"{file}: no such CoNLL file")
    sentences: list[TaggedSentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    with file.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            columns = line.split()
            if not columns or columns[0] == DOCUMENT_START:
                if tokens:
                    sentences.append({"tokens": tokens, "tags": tags})
                tokens, tags = [], []
                continue
            if len(columns) < 2 or not -len(columns) <= tag_column < len(columns) or tag_column == 0:
                raise ValueError(
                    f"{file}:{number}: {line.strip()!r} has {len(columns)} columns; expected a token and "
                    f"a tag in column {tag_column}"
                )
            tokens.append(columns[0])
            tags.append(columns[tag_column])
    if tokens:
        sentences.append({"tokens": tokens, "tags": tags})
    return sentences


def write_conll(path: str | os.PathLike[str], sentences: Iterable[Mapping[str, Sequence[str]]]) -> None:
    """Write sentences ({"tokens", "tags"}) as a two-column CoNLL file."""
    lines = []
    for index, sentence in enumerate(sentences):
        tokens, tags = sentence["tokens"], sentence["tags"]
        if len(tokens) != len(tags):
            raise ValueError(f"sentence {index} has {len(tokens)} tokens but {len(tags)} tags")
        if any(not token or any(c.isspace() for c in token) for token in tokens):
            raise ValueError(f"sentence {index} has an empty token or one with whitespace: {tokens}")
        lines += [f"{token} {tag}" for token, tag in zip(tokens, tags, strict=True)] + [""]
    target = Path(path)
    partial = target.with_name(target.name + ".partial")  # written aside, renamed when complete
    partial.write_text("\n".join(lines), encoding="utf-8")
    partial.replace(target)


def label_names(sentences: Iterable[Mapping[str, Sequence[str]]]) -> list[str]:
    """The tag set, "O" first then sorted by entity type and prefix (B- before I-), so ids are stable."""
    found = {tag for sentence in sentences for tag in sentence["tags"]}
    others = sorted(found - {OUTSIDE}, key=lambda tag: (tag[2:], tag[:2]))
    return [OUTSIDE, *others]


def tokenize_and_align(
    tokenizer: Any,
    sentences: Sequence[Mapping[str, Sequence[str]]],
    label2id: Mapping[str, int],
    *,
    label_all_tokens: bool = False,
    max_length: int | None = None,
) -> list[dict[str, list[int]]]:
    """Tokenize pre-split sentences and give each token its word's tag id (or IGNORE_INDEX).

    Returns one feature per sentence with input_ids, attention_mask and labels, ready for
    `transformers.DataCollatorForTokenClassification`. Needs a fast tokenizer (`word_ids()`).
    """
    if not sentences:
        raise ValueError("no sentences to tokenize")
    unknown = {tag for s in sentences for tag in s["tags"]} - set(label2id)
    if unknown:
        raise ValueError(f"tags {sorted(unknown)} are not in the label set {sorted(label2id)}")
    encoding = tokenizer(
        [list(s["tokens"]) for s in sentences],
        is_split_into_words=True,
        truncation=max_length is not None,
        max_length=max_length,
    )
    features = []
    for index, sentence in enumerate(sentences):
        labels, previous = [], None
        for word in encoding.word_ids(index):
            if word is None or (word == previous and not label_all_tokens):
                labels.append(IGNORE_INDEX)
            else:
                labels.append(label2id[sentence["tags"][word]])
            previous = word
        features.append(
            {
                "input_ids": encoding["input_ids"][index],
                "attention_mask": encoding["attention_mask"][index],
                "labels": labels,
            }
        )
    return features
