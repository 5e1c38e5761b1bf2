"""BART's pretraining blocks: fairseq's complete_doc, so sentence permutation moves whole sentences.

A block is <s> s1 </s> ... sk </s> </s>, as fairseq's denoising task makes it.
"""

from __future__ import annotations

import torch

from hf_ssl.objectives import DenoisingCollator
from hf_ssl.recipes.builders import complete_doc_blocks

BOS, PAD, EOS = 0, 1, 2


def _sentence(document: int, index: int, length: int) -> list[int]:
    return [100 * document + 10 * index + k for k in range(length)]


def test_blocks_hold_whole_sentences_of_one_document_each():
    docs = [[_sentence(d, i, 3 + (i + d) % 4) for i in range(6)] for d in (1, 2, 3)]
    blocks = complete_doc_blocks(docs, capacity=14, sentence_end=EOS)
    sentences = {tuple(s) for doc in docs for s in doc}
    for block in blocks:
        assert len(block) <= 14 and block[-1] == EOS
        assert len({token // 100 for token in block if token != EOS}) == 1  # one document a block
        pieces, piece = [], []
        for token in block:
            if token == EOS:
                pieces.append(tuple(piece))
                piece = []
            else:
                piece.append(token)
        assert all(piece in sentences for piece in pieces)  # only whole sentences
    # every sentence, once, in order
    assert [t for block in blocks for t in block if t != EOS] == [t for doc in docs for s in doc for t in s]


def test_a_sentence_longer_than_a_block_is_cut_to_a_block_of_its_own():
    blocks = complete_doc_blocks([[list(range(10, 40)), [50, 51]]], capacity=8, sentence_end=EOS)
    assert blocks == [[*range(10, 17), EOS], [50, 51, EOS]]


def test_sentence_permutation_on_these_blocks_reorders_whole_sentences():
    docs = [[_sentence(1, i, 3) for i in range(4)]]
    (block,) = complete_doc_blocks(docs, capacity=30, sentence_end=EOS)
    collator = DenoisingCollator(
        vocab_size=300,
        bos_token_id=BOS,
        pad_token_id=PAD,
        eos_token_id=EOS,
        mask_token_id=3,
        full_stop_token_id=EOS,
        mask_ratio=0.0,
        insert_ratio=0.0,
        rotate_ratio=0.0,
        permute_sentence_ratio=1.0,
        seed=0,
    )
    orders = set()
    for _ in range(20):
        source = collator([{"input_ids": [BOS, *block, EOS]}])["input_ids"][0].tolist()
        assert source[0] == BOS and source[-2:] == [EOS, EOS]
        sentences = [tuple(s) for s in _split(source[1:-1])]
        assert sorted(sentences) == sorted(tuple(s) for s in docs[0])  # whole sentences, each once
        orders.add(tuple(sentences))
    assert len(orders) > 1


def _split(tokens: list[int]) -> list[list[int]]:
    pieces, piece = [], []
    for token in tokens:
        if token == EOS:
            pieces.append(piece)
            piece = []
        elif token != PAD:
            piece.append(token)
    return pieces


def test_every_block_is_a_tensor_row_the_collator_accepts():
    docs = [[_sentence(1, i, 3) for i in range(5)], [_sentence(2, 0, 4)]]
    rows = [{"input_ids": [BOS, *block, EOS]} for block in complete_doc_blocks(docs, 12, EOS)]
    batch = DenoisingCollator(
        vocab_size=300, bos_token_id=BOS, pad_token_id=PAD, eos_token_id=EOS, mask_token_id=3, seed=0
    )(rows)
    assert isinstance(batch["input_ids"], torch.Tensor) and batch["input_ids"].shape[0] == len(rows)


def test_the_bart_recipe_trains_on_complete_doc_blocks_with_eos_as_full_stop():
    from hf_ssl.data import load_default_corpus
    from hf_ssl.recipes import BUILDERS, TOKENIZERS, PretrainSettings
    from hf_ssl.recipes.pretraining import _tokenize_documents

    documents = load_default_corpus()[:12]
    tokenizer = TOKENIZERS["bart"]((s for d in documents for s in d), vocab_size=300, model_max_length=64)
    docs = _tokenize_documents(tokenizer, documents)
    settings = PretrainSettings(model="bart", seq_len=64, steps=1)
    sizes = {"vocab_size": len(tokenizer), "pad_token_id": tokenizer.pad_token_id, "d_model": 32}
    train_set, _, _, collator, _ = BUILDERS["bart"](settings, tokenizer, docs, docs, sizes)
    eos = tokenizer.eos_token_id
    assert collator.full_stop_token_id == eos
    capacity = settings.seq_len - 2

    def owner(piece: tuple[int, ...]) -> int:
        """The document whose sentence this piece is (or, cut to a block, begins); -1 for none."""
        for index, doc in enumerate(docs):
            for sentence in doc:
                whole = len(sentence) == len(piece) or len(piece) == capacity - 1
                if whole and tuple(sentence[: len(piece)]) == piece:
                    return index
        return -1

    for row in train_set:
        ids = row["input_ids"]
        assert len(ids) <= 64 and ids[0] == tokenizer.bos_token_id and ids[-2:] == [eos, eos]
        owners = {owner(tuple(piece)) for piece in _split(ids[1:-1])}
        assert len(owners) == 1 and -1 not in owners  # whole sentences of one document
