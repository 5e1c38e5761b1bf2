"""WordNet 3.0 read straight from its database files: synsets, supersenses, glosses, examples.

Princeton WordNet 3.0's `data.noun`, `data.verb`, `data.adj` and `data.adv` (format: the
wndb(5WN) manual page; Debian ships them in `wordnet-base` under /usr/share/wordnet, no Python
package needed). One line per synset:

    offset lex_filenum ss_type w_cnt (word lex_id){w_cnt} p_cnt (ptr){p_cnt} [frames] | gloss

`lex_filenum` names the lexicographer file, WordNet's coarse "supersense" (lexnames(5WN): 26 noun
classes such as noun.animal, 15 verb classes, 3 adjective/adverb files). The gloss is a definition
followed by quoted example sentences. The reproductions use it as a 1.4M-word pretraining corpus,
for supersense classification of definitions and, through `sense_occurrences`, for sense- and
part-of-speech-labelled words in context (a lemma inside an example of its own synset).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

WORDNET_ENV = "HF_SSL_WORDNET"
DEFAULT_ROOTS = ("/usr/share/wordnet", "/usr/local/share/wordnet", "/usr/share/WordNet-3.0/dict")
POS_FILES = {"n": "data.noun", "v": "data.verb", "a": "data.adj", "r": "data.adv"}
SATELLITE = "s"  # adjective satellites live in data.adj; their part of speech is "a"

# lexnames(5WN): lexicographer file number -> name (noun.* = the 26 noun supersenses).
LEXNAMES: tuple[str, ...] = (
    "adj.all",
    "adj.pert",
    "adv.all",
    "noun.Tops",
    "noun.act",
    "noun.animal",
    "noun.artifact",
    "noun.attribute",
    "noun.body",
    "noun.cognition",
    "noun.communication",
    "noun.event",
    "noun.feeling",
    "noun.food",
    "noun.group",
    "noun.location",
    "noun.motive",
    "noun.object",
    "noun.person",
    "noun.phenomenon",
    "noun.plant",
    "noun.possession",
    "noun.process",
    "noun.quantity",
    "noun.relation",
    "noun.shape",
    "noun.state",
    "noun.substance",
    "noun.time",
    "verb.body",
    "verb.change",
    "verb.cognition",
    "verb.communication",
    "verb.competition",
    "verb.consumption",
    "verb.contact",
    "verb.creation",
    "verb.emotion",
    "verb.motion",
    "verb.perception",
    "verb.possession",
    "verb.social",
    "verb.stative",
    "verb.weather",
    "adj.ppl",
)

_QUOTED = re.compile(r'"([^"]*)"')
_ADJ_MARKER = re.compile(r"\((?:a|p|ip)\)$")  # syntactic markers on adjectives: galore(ip)
_WORD = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]")


@dataclass(frozen=True)
class Synset:
    """One synset: `pos` is n, v, a or r (satellites count as a); lemmas use spaces, not `_`."""

    offset: int
    pos: str
    lexname: str
    lemmas: tuple[str, ...]
    definition: str
    examples: tuple[str, ...]

    @property
    def key(self) -> str:
        """A unique id such as `02084071-n` (offsets are unique only within a part of speech)."""
        return f"{self.offset:08d}-{self.pos}"


@dataclass(frozen=True)
class SenseOccurrence:
    """A lemma of `synset` found as whole words in one of that synset's own examples.

    `words` is the example split into words and punctuation; the lemma covers
    `words[start:end]`. The synset gives the occurrence's sense, supersense and part of speech.
    """

    words: tuple[str, ...]
    start: int
    end: int
    lemma: str
    synset: Synset


def find_wordnet(root: str | os.PathLike[str] | None = None) -> Path:
    """The directory holding WordNet's `data.*` files: `root`, else $HF_SSL_WORDNET, else the usual places."""
    candidates = [Path(root)] if root is not None else []
    if root is None and os.environ.get(WORDNET_ENV):
        candidates.append(Path(os.environ[WORDNET_ENV]))
    if root is None:
        candidates.extend(Path(path) for path in DEFAULT_ROOTS)
    for candidate in candidates:
        if all((candidate / name).is_file() for name in POS_FILES.values()):
            return candidate
    looked = ", ".join(str(path) for path in candidates)
    raise FileNotFoundError(
        f"WordNet 3.0 database files ({', '.join(POS_FILES.values())}) not found in: {looked}; "
        f"install Debian's wordnet-base (apt-get install wordnet-base), or pass root= / set ${WORDNET_ENV}"
    )


def parse_synset_line(line: str) -> Synset:
    """One line of a `data.*` file (not a licence line) as a Synset; raises ValueError naming the line."""
    head, bar, gloss = line.partition(" | ")
    fields = head.split()
    try:
        offset, lex_filenum, ss_type = int(fields[0]), int(fields[1]), fields[2]
        word_count = int(fields[3], 16)
        words = fields[4 : 4 + 2 * word_count : 2]
    except (IndexError, ValueError) as error:
        raise ValueError(f"not a WordNet synset line: {line[:80]!r}") from error
    if not bar or ss_type not in (*POS_FILES, SATELLITE) or len(words) != word_count:
        raise ValueError(f"not a WordNet synset line: {line[:80]!r}")
    if not 0 <= lex_filenum < len(LEXNAMES):
        raise ValueError(
            f"lexicographer file {lex_filenum} out of range 0..{len(LEXNAMES) - 1}: {line[:80]!r}"
        )
    lemmas = tuple(_ADJ_MARKER.sub("", word).replace("_", " ") for word in words)
    gloss = gloss.strip()
    first_quote = gloss.find('"')
    definition = (gloss if first_quote < 0 else gloss[:first_quote]).strip().rstrip(";").strip()
    examples = tuple(example.strip() for example in _QUOTED.findall(gloss) if example.strip())
    pos = "a" if ss_type == SATELLITE else ss_type
    return Synset(offset, pos, LEXNAMES[lex_filenum], lemmas, definition, examples)


def read_wordnet(
    root: str | os.PathLike[str] | None = None, parts_of_speech: Sequence[str] = ("n", "v", "a", "r")
) -> Iterator[Synset]:
    """Every synset of the given parts of speech, in file order (noun, verb, adjective, adverb)."""
    unknown = sorted(set(parts_of_speech) - set(POS_FILES))
    if unknown:
        raise ValueError(
            f"parts_of_speech={list(parts_of_speech)!r}; unknown {unknown}, expected a subset of n, v, a, r"
        )
    directory = find_wordnet(root)
    for pos in parts_of_speech:
        with open(directory / POS_FILES[pos], encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("  "):  # the licence header: every line starts with two spaces
                    continue
                yield parse_synset_line(line)


def split_words(text: str) -> list[str]:
    """Words and punctuation marks, the segmentation `sense_occurrences` matches lemmas in."""
    return _WORD.findall(text)


def sense_occurrences(synsets: Iterable[Synset]) -> Iterator[SenseOccurrence]:
    """Each lemma found (case-insensitively, as whole words) in its own synset's examples.

    Only exact word forms count ("dog" in "the dog barked", not "dogs"), so every occurrence's sense
    is the synset's by WordNet's own construction; the first match per lemma and example is used.
    """
    for synset in synsets:
        for example in synset.examples:
            words = tuple(split_words(example))
            lowered = [word.lower() for word in words]
            for lemma in synset.lemmas:
                target = [word.lower() for word in split_words(lemma)]
                width = len(target)
                for start in range(len(words) - width + 1):
                    if lowered[start : start + width] == target:
                        yield SenseOccurrence(words, start, start + width, lemma, synset)
                        break
