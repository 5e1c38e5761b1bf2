"""Tests for hf_ssl.data.corpus: the embedded Moby-Dick corpus, the sentence splitter, corpus readers."""

from __future__ import annotations

import gzip
import json
from importlib import resources
from pathlib import Path

import pytest

from hf_ssl.data import (
    default_corpus_titles,
    iter_texts,
    load_default_corpus,
    read_documents,
    split_sentences,
)
from hf_ssl.data.corpus import DEFAULT_CORPUS_RESOURCE

# Measured on the shipped file: 138 units (Etymology, Extracts, chapters 1-135, Epilogue),
# 2,513 paragraphs, 211,310 whitespace-separated words, 8,728 sentences.
N_UNITS = 138


def test_default_corpus_has_all_chapters() -> None:
    chapters = load_default_corpus(unit="chapter")
    titles = default_corpus_titles()
    assert len(chapters) == len(titles) == N_UNITS
    assert titles[0].startswith("Etymology.")
    assert titles[1].startswith("Extracts.")
    assert titles[2] == "Chapter 1. Loomings."
    assert titles[136] == "Chapter 135. The Chase.—Third Day."
    assert titles[-1].startswith("Epilogue.")


def test_default_corpus_opens_chapter_one_with_call_me_ishmael() -> None:
    assert load_default_corpus(unit="chapter")[2][0] == "Call me Ishmael."


def test_default_corpus_has_thousands_of_paragraphs_and_about_211k_words() -> None:
    paragraphs = load_default_corpus()
    words = sum(len(sentence.split()) for sentence in iter_texts(paragraphs))
    assert 2_400 <= len(paragraphs) <= 2_600
    assert 205_000 <= words <= 218_000
    assert 8_000 <= sum(len(paragraph) for paragraph in paragraphs) <= 9_500


def test_default_corpus_sentences_are_nonempty_trimmed_strings() -> None:
    for document in load_default_corpus():
        assert document
        for sentence in document:
            assert isinstance(sentence, str)
            assert sentence and sentence == sentence.strip()
            assert "\n" not in sentence and "  " not in sentence


def test_chapter_and_paragraph_units_hold_the_same_sentences() -> None:
    by_chapter = list(iter_texts(load_default_corpus(unit="chapter")))
    by_paragraph = list(iter_texts(load_default_corpus(unit="paragraph")))
    assert by_chapter == by_paragraph


def test_load_default_corpus_returns_lists_the_caller_may_change() -> None:
    first = load_default_corpus()
    first[0].append("changed")
    first.clear()
    assert load_default_corpus()[0][-1] != "changed"


def test_load_default_corpus_rejects_an_unknown_unit() -> None:
    with pytest.raises(ValueError, match="'sentence'"):
        load_default_corpus(unit="sentence")  # type: ignore[arg-type]


def test_embedded_corpus_file_is_compact_and_has_a_fixed_gzip_mtime() -> None:
    raw = resources.files("hf_ssl.data").joinpath(DEFAULT_CORPUS_RESOURCE).read_bytes()
    assert len(raw) < 1_500_000
    assert raw[4:8] == b"\x00\x00\x00\x00"  # gzip MTIME field: byte-reproducible
    first = json.loads(gzip.decompress(raw).decode("utf-8").splitlines()[0])
    assert set(first) == {"title", "paragraphs"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Call me Ishmael. Some years ago.", ["Call me Ishmael.", "Some years ago."]),
        ("Mr. Starbuck and Mrs. Hussey met Dr. Bunger.", ["Mr. Starbuck and Mrs. Hussey met Dr. Bunger."]),
        ("They sailed from St. Paul. It rained.", ["They sailed from St. Paul.", "It rained."]),
        ("Big fish, e.g. Whales and i.e. Sharks. Next.", ["Big fish, e.g. Whales and i.e. Sharks.", "Next."]),
        ('He said, "Go now." Then he left.', ['He said, "Go now."', "Then he left."]),
        ('He stopped. "Who is there?" Nobody.', ["He stopped.", '"Who is there?"', "Nobody."]),
        ('"Is it?" he asked.', ['"Is it?" he asked.']),
        ("Where? Here! Really?! Yes...", ["Where?", "Here!", "Really?!", "Yes..."]),
        ("Wait... Then go.", ["Wait...", "Then go."]),
        ("J. Smith wrote. (Truly.) Fine.", ["J. Smith wrote.", "(Truly.)", "Fine."]),
        ("A.S. Walwian, to roll. Done.", ["A.S. Walwian, to roll.", "Done."]),
        ("It is plan b. Then go.", ["It is plan b.", "Then go."]),
        ("Ominous, thinks I. A Coffin.", ["Ominous, thinks I.", "A Coffin."]),
        ("the wreck?—Because one", ["the wreck?—Because one"]),
        ("It was 3.14 wide. Yes.", ["It was 3.14 wide.", "Yes."]),
        ("  Wrapped\nacross   lines.\n\nNext  one ", ["Wrapped across lines.", "Next one"]),
        ("", []),
        (" \n ", []),
    ],
)
def test_split_sentences_golden_cases(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_split_sentences_keeps_every_character_but_whitespace() -> None:
    text = 'Oh! "Aye, aye, sir." Mr. Stubb, e.g. Flask? No... The end.'
    assert "".join(split_sentences(text)).replace(" ", "") == text.replace(" ", "")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_read_documents_reads_bert_format_txt(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.txt", "First sentence.\nSecond one!\n\n\nOther doc.\n  \nThird doc.\n")
    assert read_documents(path) == [["First sentence.", "Second one!"], ["Other doc."], ["Third doc."]]


def test_read_documents_splits_txt_lines_that_hold_paragraphs(tmp_path: Path) -> None:
    path = _write(tmp_path / "p.txt", "One. Two. Three.\nFour? Five.\n\nSix. Seven.\n")
    assert read_documents(path) == [["One.", "Two.", "Three.", "Four?", "Five."], ["Six.", "Seven."]]


def test_read_documents_keeps_sentence_per_line_when_told(tmp_path: Path) -> None:
    path = _write(tmp_path / "p.txt", "One. Two.\nThree.\n")
    assert read_documents(path, sentence_per_line=True) == [["One. Two.", "Three."]]
    assert read_documents(path, sentence_per_line=False) == [["One.", "Two.", "Three."]]


def test_read_documents_reads_jsonl_one_document_per_line(tmp_path: Path) -> None:
    lines = [
        json.dumps({"text": "A b. C d!", "id": 1}),
        "",
        json.dumps({"text": "  "}),
        json.dumps({"text": "E."}),
    ]
    path = _write(tmp_path / "c.jsonl", "\n".join(lines) + "\n")
    assert read_documents(path) == [["A b.", "C d!"], ["E."]]


def test_read_documents_reads_a_directory_in_sorted_order(tmp_path: Path) -> None:
    _write(tmp_path / "b.txt", "From b.\n")
    _write(tmp_path / "a.jsonl", json.dumps({"text": "From a."}) + "\n")
    (tmp_path / "sub").mkdir()
    _write(tmp_path / "sub" / "c.txt", "From c.\n")
    _write(tmp_path / "notes.md", "Ignored.\n")
    (tmp_path / ".hidden").mkdir()
    _write(tmp_path / ".hidden" / "d.txt", "Hidden.\n")
    assert read_documents(str(tmp_path)) == [["From a."], ["From b."], ["From c."]]


def test_read_documents_names_a_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.txt"
    with pytest.raises(FileNotFoundError, match=r"nowhere\.txt"):
        read_documents(missing)


def test_read_documents_names_an_unsupported_suffix_and_the_supported_ones(tmp_path: Path) -> None:
    path = _write(tmp_path / "corpus.csv", "a,b\n")
    with pytest.raises(ValueError, match=r"'\.csv'.*\.txt, \.jsonl"):
        read_documents(path)


def test_read_documents_names_file_and_line_of_a_jsonl_record_without_text(tmp_path: Path) -> None:
    lines = [json.dumps({"text": "Fine."}), json.dumps({"body": "No text field."})]
    path = _write(tmp_path / "bad.jsonl", "\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r'bad\.jsonl:2: .*"text"'):
        read_documents(path)


@pytest.mark.parametrize("line", ["{not json", '["a list"]', '{"text": 3}'])
def test_read_documents_rejects_malformed_jsonl_lines_with_the_line_number(tmp_path: Path, line: str) -> None:
    path = _write(tmp_path / "bad.jsonl", json.dumps({"text": "Fine."}) + "\n\n" + line + "\n")
    with pytest.raises(ValueError, match=r"bad\.jsonl:3: "):
        read_documents(path)


def test_read_documents_rejects_a_corpus_with_no_text(tmp_path: Path) -> None:
    path = _write(tmp_path / "empty.txt", "\n  \n\n")
    with pytest.raises(ValueError, match=r"empty\.txt"):
        read_documents(path)


def test_read_documents_rejects_a_directory_without_corpus_files(tmp_path: Path) -> None:
    _write(tmp_path / "readme.md", "Nothing here.\n")
    with pytest.raises(ValueError, match=r"no \.txt or \.jsonl files"):
        read_documents(tmp_path)


def test_iter_texts_yields_every_sentence_in_order() -> None:
    assert list(iter_texts([["a.", "b."], [], ["c."]])) == ["a.", "b.", "c."]
