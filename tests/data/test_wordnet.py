"""hf_ssl.data.wordnet reads WordNet's database format; checked on lines copied from WordNet 3.0
(the wndb(5WN) format) and, where Debian's wordnet-base is installed, on the whole database."""

from __future__ import annotations

from pathlib import Path

import pytest

from hf_ssl.data.wordnet import (
    LEXNAMES,
    find_wordnet,
    parse_synset_line,
    read_wordnet,
    sense_occurrences,
)

LICENCE = "  1 This software and database is being provided to you, the LICENSEE, by  \n"
BREATHE = (
    "00001740 29 v 04 breathe 0 take_a_breath 0 respire 0 suspire 3 002 * 00005041 v 0000 "
    "* 00004227 v 0000 02 + 02 00 + 08 00 | draw air into, and expel out of, the lungs; "
    '"I can breathe better when the air is clean"; "The patient is respiring"  \n'
)
ABLE = (
    "00001740 00 a 01 able 0 001 ! 00002098 a 0101 | (usually followed by `to') having the "
    'necessary means or skill; "able to swim"; "we were at last able to buy a car"  \n'
)
GALORE = '00244527 00 s 01 galore(ip) 0 001 & 00244426 a 0000 | in great numbers; "daffodils galore"  \n'
DOG = (
    "02084071 05 n 03 dog 0 domestic_dog 0 Canis_familiaris 0 001 @ 02083346 n 0000 | a member of "
    'the genus Canis; "the dog barked all night"; "a domestic dog sleeps"  \n'
)
QUICKLY = '00085811 02 r 01 quickly 0 000 | with speed; "she answered quickly"  \n'


@pytest.fixture
def wordnet_dir(tmp_path: Path) -> Path:
    for name, lines in {
        "data.noun": [DOG],
        "data.verb": [BREATHE],
        "data.adj": [ABLE, GALORE],
        "data.adv": [QUICKLY],
    }.items():
        (tmp_path / name).write_text(LICENCE + "".join(lines), encoding="utf-8")
    return tmp_path


def test_a_verb_line_gives_lemmas_supersense_definition_and_examples():
    synset = parse_synset_line(BREATHE)
    assert synset.offset == 1740 and synset.pos == "v" and synset.key == "00001740-v"
    assert synset.lexname == "verb.body"
    assert synset.lemmas == ("breathe", "take a breath", "respire", "suspire")
    assert synset.definition == "draw air into, and expel out of, the lungs"
    assert synset.examples == ("I can breathe better when the air is clean", "The patient is respiring")


def test_satellites_count_as_adjectives_and_lose_their_syntactic_marker():
    synset = parse_synset_line(GALORE)
    assert synset.pos == "a" and synset.lemmas == ("galore",) and synset.lexname == "adj.all"


def test_the_lexicographer_table_has_the_26_noun_supersenses_and_45_files():
    assert len(LEXNAMES) == 45
    assert sum(name.startswith("noun.") for name in LEXNAMES) == 26
    assert LEXNAMES[5] == "noun.animal" and LEXNAMES[29] == "verb.body" and LEXNAMES[44] == "adj.ppl"


def test_read_wordnet_skips_the_licence_and_reads_every_part_of_speech(wordnet_dir):
    synsets = list(read_wordnet(wordnet_dir))
    assert [synset.pos for synset in synsets] == ["n", "v", "a", "a", "r"]
    assert [synset.lexname for synset in read_wordnet(wordnet_dir, ["n"])] == ["noun.animal"]


def test_sense_occurrences_find_whole_word_lemmas_in_their_own_examples(wordnet_dir):
    found = {
        (occurrence.lemma, occurrence.words[occurrence.start : occurrence.end])
        for occurrence in sense_occurrences(read_wordnet(wordnet_dir))
    }
    assert ("dog", ("dog",)) in found  # "the dog barked all night"
    assert ("domestic dog", ("domestic", "dog")) in found  # multi-word lemma
    assert ("breathe", ("breathe",)) in found and ("able", ("able",)) in found
    assert not any(lemma == "respire" for lemma, _ in found)  # "respiring" is not the exact form
    assert ("quickly", ("quickly",)) in found and ("galore", ("galore",)) in found


def test_bad_lines_and_missing_files_are_named(tmp_path):
    with pytest.raises(ValueError, match="not a WordNet synset line"):
        parse_synset_line("00001740 29 v 04 breathe 0\n")
    with pytest.raises(ValueError, match="lexicographer file 77"):
        parse_synset_line(BREATHE.replace(" 29 v ", " 77 v "))
    with pytest.raises(FileNotFoundError, match="wordnet-base"):
        find_wordnet(tmp_path)
    with pytest.raises(ValueError, match="unknown \\['x'\\]"):
        list(read_wordnet(tmp_path, ["n", "x"]))


def test_the_installed_wordnet_3_0_has_its_published_synset_counts():
    try:
        root = find_wordnet()
    except FileNotFoundError:
        pytest.skip("Debian's wordnet-base (WordNet 3.0 database) is not installed")
    counts = {pos: 0 for pos in "nvar"}
    for synset in read_wordnet(root):
        counts[synset.pos] += 1
    # WordNet 3.0 statistics (wnstats(7WN)): 82,115 noun, 13,767 verb, 18,156 adjective, 3,621 adverb synsets.
    assert counts == {"n": 82115, "v": 13767, "a": 18156, "r": 3621}
