"""The reliability battery: bad inputs and faults a user can hand hf_ssl, one case each.

Every case ends one of two ways, and anything else fails it:
- "error": an exception of the given type whose message names the value and what was expected;
- "holds": the case's own assertions hold (the user's files survive, the result is correct).

Cases are grouped by what they were before they were fixed: `loss` (data was lost), `silent`
(a wrong result without a word), `unclear` (an error that did not say what was wrong). The README's
reliability figures are counted from this table (`test_the_readme_reports_these_figures`), so a new
fault found is a new case here and the figures follow.

Deeper tests of the same behaviour (every kill point of a save, every family) live beside the code
they test; this module is the breadth.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

import hf_ssl
from hf_ssl.cli import main
from hf_ssl.io import CheckpointError, atomic_directory
from hf_ssl.objectives import (
    CausalLMCollator,
    CBOWCollator,
    DenoisingCollator,
    MaskedLMCollator,
    MaskedSeq2SeqCollator,
    PrefixLMCollator,
    SpanCorruptionCollator,
)

VOCAB = 64


@dataclass(frozen=True)
class Case:
    name: str
    was: str  # "loss", "silent" or "unclear": what the case was before hf_ssl handled it
    action: Callable[[Path], object]
    error: type[BaseException] | None = None  # None: the action's own assertions must hold
    message: str = ""  # a regex the error's message must match


def _config(**changes) -> hf_ssl.BertConfig:
    values = {
        "vocab_size": VOCAB,
        "hidden_size": 32,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "intermediate_size": 64,
        "max_position_embeddings": 32,
    }
    return hf_ssl.BertConfig(**{**values, **changes})


def _bert(directory: Path | None = None, seed: int = 0, **changes) -> hf_ssl.BertForMaskedLM:
    torch.manual_seed(seed)
    model = hf_ssl.BertForMaskedLM(_config(**changes)).eval()
    if directory is not None:
        model.save_pretrained(directory)
    return model


def _gpt() -> hf_ssl.GPTLMHeadModel:
    config = hf_ssl.GPTConfig(
        vocab_size=VOCAB,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=16,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=0,
    )
    torch.manual_seed(0)
    return hf_ssl.GPTLMHeadModel(config).eval()


def _ids(*rows: list[int]) -> torch.Tensor:
    return torch.tensor(rows)


def _run(model, **inputs):
    with torch.no_grad():
        return model(**inputs)


def _files(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()
    }


# --- data that was lost ----------------------------------------------------------------------------


def _output_refused_keeps_user_files(tmp: Path) -> None:
    source, output = tmp / "source", tmp / "out"
    _bert(source)
    output.mkdir()
    (output / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match=r"is not empty .*--overwrite"):
        main(["convert", str(source), str(output), "--to", "transformers"])
    assert _files(output) == {"notes.txt": b"mine"}


def _output_is_the_model_dir(tmp: Path) -> None:
    model_dir = tmp / "pretrained"
    _bert(model_dir)
    before = _files(model_dir)
    files = ["--train-file", "t.csv", "--eval-file", "t.csv"]
    with pytest.raises(FileExistsError, match="is not empty"):
        main(["finetune", "--model-dir", str(model_dir), *files, "--output", str(model_dir)])
    assert _files(model_dir) == before


def _overwrite_keeps_other_files(tmp: Path) -> None:
    source, output = tmp / "source", tmp / "out"
    _bert(source)
    output.mkdir()
    (output / "notes.txt").write_text("mine")
    main(["convert", str(source), str(output), "--to", "transformers", "--overwrite"])
    assert (output / "notes.txt").read_text() == "mine" and (output / "config.json").is_file()


def _killed_save_leaves_a_whole_checkpoint(tmp: Path) -> None:
    from tests.test_atomic_save import Killed, killed_at

    old = _bert(tmp, seed=0)
    counter = [0]
    with pytest.raises(Killed), killed_at(4, counter):  # dies inside the switch
        _bert(seed=1).save_pretrained(tmp)
    loaded = hf_ssl.BertForMaskedLM.from_pretrained(tmp)
    new = _bert(seed=1)
    state = loaded.state_dict()
    assert any(all(torch.equal(state[k], v) for k, v in model.state_dict().items()) for model in (old, new))
    assert not list(tmp.glob(".hf-ssl*"))


def _killed_overwrite_leaves_a_whole_run(tmp: Path) -> None:
    from tests.test_atomic_save import Killed, killed_at

    _bert(tmp, seed=0)
    (tmp / "metrics.json").write_text('{"run": "old"}')
    counter = [0]
    with pytest.raises(Killed), killed_at(12, counter), atomic_directory(tmp, overwrite=True) as staging:
        _bert(staging, seed=1)
        (staging / "metrics.json").write_text('{"run": "new"}')
    loaded = hf_ssl.BertForMaskedLM.from_pretrained(tmp)
    run = json.loads((tmp / "metrics.json").read_text())["run"]
    reference = _bert(seed=0 if run == "old" else 1).state_dict()
    assert all(torch.equal(v, reference[k]) for k, v in loaded.state_dict().items())


def _save_through_a_symlink(tmp: Path) -> None:
    real = tmp / "volume" / "model"
    real.mkdir(parents=True)
    (tmp / "link").symlink_to(real)
    _bert(tmp / "link")
    _bert(tmp / "link", seed=1)
    assert (tmp / "link").is_symlink() and (real / "config.json").is_file()
    assert sorted(p.name for p in tmp.iterdir()) == ["link", "volume"]


def _crash_leftovers_cleaned(tmp: Path) -> None:
    _bert(tmp)
    (tmp / ".hf-ssl-save-deadbeef-x").mkdir()
    (tmp / ".hf-ssl-save-deadbeef-x" / "model.safetensors").write_bytes(b"half")
    (tmp / ".hf-ssl-save.json.deadbeef.tmp").write_text("{")
    hf_ssl.BertForMaskedLM.from_pretrained(tmp)
    assert not list(tmp.glob(".hf-ssl*"))


def _save_under_a_read_only_parent(tmp: Path) -> None:
    """Every file operation of a save stays inside the target (root ignores permissions, so a path
    outside it is refused here instead)."""
    from unittest import mock

    target = tmp / "model"
    _bert(target)

    def inside_only(original):
        def operation(*args, **kwargs):
            for path in args[:2]:
                if isinstance(path, str | os.PathLike) and "dir_fd" not in kwargs:
                    resolved = Path(path).resolve()
                    if resolved != target and target not in resolved.parents:
                        raise PermissionError(f"read-only: {path}")
            return original(*args, **kwargs)

        return operation

    with contextlib.ExitStack() as stack:
        for name in ("mkdir", "rename", "replace", "unlink", "rmdir"):
            stack.enter_context(mock.patch.object(os, name, inside_only(getattr(os, name))))
        _bert(target, seed=1)
    reference = _bert(seed=1).state_dict()
    loaded = hf_ssl.BertForMaskedLM.from_pretrained(target).state_dict()
    assert all(torch.equal(v, reference[k]) for k, v in loaded.items())


def _load_while_another_saves(tmp: Path) -> None:
    """Two versions that differ in config (activation) and weights; a load must get one of them whole,
    never one's config.json with the other's weights (reading the weights is slowed to widen the gap)."""
    import threading
    import time
    from unittest import mock

    import transformers.modeling_utils as modeling_utils

    models = [_bert(seed=0), _bert(seed=1, hidden_act="relu")]  # built first: loads use the global RNG
    models[0].save_pretrained(tmp)
    stop = threading.Event()

    def keep_saving() -> None:
        version = 1
        while not stop.is_set():
            models[version].save_pretrained(tmp)
            version = 1 - version

    def slowly(*args, _open=modeling_utils.safe_open, **kwargs):
        time.sleep(0.02)
        return _open(*args, **kwargs)

    saver = threading.Thread(target=keep_saving)
    with mock.patch.object(modeling_utils, "safe_open", slowly):
        saver.start()
        try:
            for _ in range(12):
                loaded = hf_ssl.BertForMaskedLM.from_pretrained(tmp)
                version = models[loaded.config.hidden_act == "relu"].state_dict()
                assert all(torch.equal(v, version[k]) for k, v in loaded.state_dict().items())
        finally:
            stop.set()
            saver.join()


# --- results that were silently wrong --------------------------------------------------------------


def _rename_tensor_in_header(tmp: Path) -> None:
    from safetensors.torch import load_file, save_file

    _bert(tmp)
    tensors = load_file(tmp / "model.safetensors")
    name = next(k for k in tensors if "layers.0" in k or "layer.0" in k)
    tensors[name.replace(".0.", ".7.")] = tensors.pop(name)
    save_file(tensors, tmp / "model.safetensors", metadata={"format": "pt"})
    hf_ssl.BertForMaskedLM.from_pretrained(tmp)


def _edit_layer_count(tmp: Path) -> None:
    _bert(tmp)
    config = json.loads((tmp / "config.json").read_text())
    (tmp / "config.json").write_text(json.dumps({**config, "num_hidden_layers": 3}))
    hf_ssl.BertForMaskedLM.from_pretrained(tmp)


def _another_familys_label(tmp: Path) -> None:
    _bert(tmp)
    config = json.loads((tmp / "config.json").read_text())
    (tmp / "config.json").write_text(json.dumps({**config, "model_type": "hf_ssl_roberta"}))
    hf_ssl.RobertaForMaskedLM.from_pretrained(tmp)


def _head_swap_still_loads(tmp: Path) -> None:
    pretrained = _bert(tmp)
    classifier = hf_ssl.BertForSequenceClassification.from_pretrained(tmp, num_labels=3)
    core = pretrained.state_dict()
    assert all(torch.equal(v, core[k]) for k, v in classifier.state_dict().items() if k in core)


def _shard_index_outside(tmp: Path) -> None:
    _bert(tmp, max_position_embeddings=32)
    (tmp / "model.safetensors").rename(tmp.parent / "outside.safetensors")
    (tmp / "model.safetensors.index.json").write_text(
        json.dumps({"metadata": {}, "weight_map": {"bert.x": "../outside.safetensors"}})
    )
    hf_ssl.BertForMaskedLM.from_pretrained(tmp)


def _left_padded_causal_batch(tmp: Path) -> None:
    batch = CausalLMCollator(pad_token_id=0)(
        [{"input_ids": [0, 0, 7, 8], "attention_mask": [0, 0, 1, 1]}, {"input_ids": [5, 6, 7, 8]}]
    )
    assert batch["labels"][0].tolist() == [-100, -100, 7, 8]
    assert batch["attention_mask"][0].tolist() == [0, 0, 1, 1]


def _zero_mlm_probability(tmp: Path) -> None:
    collator = MaskedLMCollator(
        vocab_size=VOCAB, mask_token_id=4, pad_token_id=0, mlm_probability=0.0, seed=0
    )
    batch = collator([list(range(10, 30))] * 4)
    assert bool((batch["labels"] == -100).all()) and batch["input_ids"][0].tolist() == list(range(10, 30))


def _zero_noise_density(tmp: Path) -> None:
    collator = SpanCorruptionCollator(
        inputs_length=16, noise_density=0.0, vocab_size=VOCAB, sentinel_ids=list(range(54, 64)), seed=0
    )
    batch = collator([list(range(10, 40))])
    assert batch["input_ids"][0, :15].tolist() == list(range(10, 25))


def _sentinel_clash(tmp: Path) -> None:
    collator = SpanCorruptionCollator(
        inputs_length=16, vocab_size=VOCAB, sentinel_ids=list(range(54, 64)), seed=0
    )
    collator([[5, 6, 63, 7] * 5])


def _pair_examples_from_strings(tmp: Path) -> None:
    from hf_ssl.objectives import build_sentence_pair_examples

    documents = [["a sentence", "another"]] * 2  # text where token ids belong
    build_sentence_pair_examples(documents, task="nsp", max_length=16, cls_token_id=1, sep_token_id=2, seed=0)


_ROW = [10, 11, 12, 13, 14, 15, 16, 17]
_COLLATORS: dict[str, Callable[[], Callable]] = {
    "MaskedLMCollator": lambda: MaskedLMCollator(vocab_size=VOCAB, mask_token_id=4, pad_token_id=0, seed=0),
    "CausalLMCollator": lambda: CausalLMCollator(pad_token_id=0),
    "PrefixLMCollator": lambda: PrefixLMCollator(pad_token_id=0, eos_token_id=2, seed=0),
    "DenoisingCollator": lambda: DenoisingCollator(
        vocab_size=VOCAB, mask_token_id=4, full_stop_token_id=5, seed=0
    ),
    "MaskedSeq2SeqCollator": lambda: MaskedSeq2SeqCollator(
        vocab_size=VOCAB, mask_token_id=4, pad_token_id=0, seed=0
    ),
    "SpanCorruptionCollator": lambda: SpanCorruptionCollator(
        inputs_length=16, vocab_size=VOCAB, sentinel_ids=list(range(54, 64)), seed=0
    ),
    "CBOWCollator": lambda: CBOWCollator(counts=[5] * VOCAB, window=2, seed=0),
}


def _empty_row(name: str) -> Callable[[Path], object]:
    return lambda tmp: _COLLATORS[name]()([[0, *_ROW, 2], []])


def _mask_of_minus_one(name: str) -> Callable[[Path], object]:
    row = [0, *_ROW, 2]
    return lambda tmp: _COLLATORS[name]()([{"input_ids": row, "attention_mask": [1] * 8 + [-1, -1]}])


def _seeded_workers_reproduce(tmp: Path) -> None:
    from torch.utils.data import DataLoader

    def masks(global_seed: int) -> list[torch.Tensor]:
        torch.manual_seed(global_seed)
        loader = DataLoader(
            [_ROW * 3] * 8, batch_size=2, num_workers=2, collate_fn=_COLLATORS["MaskedLMCollator"]()
        )
        return [batch["labels"] != -100 for batch in loader]

    assert all(torch.equal(a, b) for a, b in zip(masks(1), masks(2), strict=True))


def _token_types_without_a_segment_table(tmp: Path) -> None:
    _run(_bert(type_vocab_size=0), input_ids=_ids([5, 6, 7]), token_type_ids=_ids([0, 1, 1]))


def _token_types_to_gpt(tmp: Path) -> None:
    _run(_gpt(), input_ids=_ids([5, 6, 7]), token_type_ids=_ids([0, 1, 1]))


def _finetune_file(tmp: Path, text: str) -> Path:
    path = tmp / "train.csv"
    path.write_text(text)
    return path


def _finetune_on(tmp: Path, train: Path, *extra: str) -> None:
    model_dir = tmp / "pretrained"
    _bert(model_dir)
    files = ["--train-file", str(train), "--eval-file", str(train)]
    main(["finetune", "--model-dir", str(model_dir), *files, "--output", str(tmp / "out"), *extra])


# --- errors that did not say what was wrong --------------------------------------------------------


def _bad_config_json(tmp: Path) -> None:
    _bert(tmp)
    with open(tmp / "config.json", "a") as handle:
        handle.write("{{")
    hf_ssl.BertForMaskedLM.from_pretrained(tmp)


def _shard_index_not_a_map(tmp: Path) -> None:
    _bert(tmp)
    (tmp / "model.safetensors.index.json").write_text('{"weight_map": [1, 2]}')
    hf_ssl.BertForMaskedLM.from_pretrained(tmp)


def _symlink_loop(action: str) -> Callable[[Path], object]:
    def run(tmp: Path) -> None:
        (tmp / "a").symlink_to(tmp / "b")
        (tmp / "b").symlink_to(tmp / "a")
        if action == "load":
            hf_ssl.BertForMaskedLM.from_pretrained(tmp / "a")
        else:
            _bert(tmp / "a")

    return run


def _electra_joint_model_from_a_discriminator(tmp: Path) -> None:
    config = hf_ssl.ElectraConfig(
        vocab_size=VOCAB, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64
    )
    hf_ssl.ElectraModel(config).save_pretrained(tmp)
    hf_ssl.ElectraForPreTraining.from_pretrained(tmp)


def _unknown_family(tmp: Path) -> None:
    model_dir = tmp / "pretrained"
    _bert(model_dir)
    config = json.loads((model_dir / "config.json").read_text())
    (model_dir / "config.json").write_text(json.dumps({**config, "model_type": "hf_ssl_future"}))
    train = _finetune_file(tmp, "text,label\nhello,a\nbye,b\n")
    files = ["--train-file", str(train), "--eval-file", str(train)]
    main(["finetune", "--model-dir", str(model_dir), *files, "--output", str(tmp / "out")])


def _output_dot(tmp: Path) -> None:
    _bert(tmp / "source")
    (tmp / "here").mkdir()
    with contextlib.chdir(tmp / "here"):
        main(["convert", "../source", ".", "--to", "transformers"])
    assert (tmp / "here" / "config.json").is_file()


def _csv(text: bytes) -> Callable[[Path], object]:
    def run(tmp: Path) -> None:
        path = tmp / "train.csv"
        path.write_bytes(text)
        _finetune_on(tmp, path)

    return run


CASES = [
    # data loss
    Case("output-dir-with-user-files", "loss", _output_refused_keeps_user_files),
    Case("finetune-output-is-its-model-dir", "loss", _output_is_the_model_dir),
    Case("overwrite-keeps-other-files", "loss", _overwrite_keeps_other_files),
    Case("save-killed-mid-switch", "loss", _killed_save_leaves_a_whole_checkpoint),
    Case("overwrite-killed-mid-switch", "loss", _killed_overwrite_leaves_a_whole_run),
    Case("save-through-symlink", "loss", _save_through_a_symlink),
    Case("crash-leftovers", "loss", _crash_leftovers_cleaned),
    Case("save-under-read-only-parent", "loss", _save_under_a_read_only_parent),
    Case("load-while-another-saves", "loss", _load_while_another_saves),
    # silent wrong results
    Case(
        "renamed-tensor", "silent", _rename_tensor_in_header, CheckpointError, "does not fit BertForMaskedLM"
    ),
    Case("edited-layer-count", "silent", _edit_layer_count, CheckpointError, "missing keys"),
    Case("another-familys-label", "silent", _another_familys_label, CheckpointError, "does not fit"),
    Case("head-swap", "silent", _head_swap_still_loads),
    Case("shard-index-outside", "silent", _shard_index_outside, CheckpointError, "not a file name inside"),
    Case("left-padded-causal-batch", "silent", _left_padded_causal_batch),
    Case(
        "causal-mask-value-2",
        "silent",
        lambda tmp: CausalLMCollator(pad_token_id=0)([{"input_ids": [5, 6], "attention_mask": [1, 2]}]),
        ValueError,
        r"attention_mask\[1\] = 2; expected 0 \(padding\) or 1",
    ),
    Case("mlm-probability-0", "silent", _zero_mlm_probability),
    Case("noise-density-0", "silent", _zero_noise_density),
    Case("sentinel-clash", "silent", _sentinel_clash, ValueError, "token id 63, which is also a sentinel"),
    Case(
        "pair-examples-from-strings",
        "silent",
        _pair_examples_from_strings,
        TypeError,
        "is .a sentence.; expected a sentence as a list of token ids",
    ),
    *[
        Case(f"empty-row-{name}", "silent", _empty_row(name), ValueError, "feature 1 has no tokens")
        for name in _COLLATORS
    ],
    *[
        Case(
            f"mask-minus-one-{name}",
            "silent",
            _mask_of_minus_one(name),
            ValueError,
            r"attention_mask\[8\] = -1; expected 0 \(padding\) or 1",
        )
        for name in _COLLATORS
    ],
    Case("seeded-workers-reproduce", "silent", _seeded_workers_reproduce),
    Case(
        "config-typo", "silent", lambda tmp: _config(hiden_size=64), ValueError, "did you mean 'hidden_size'"
    ),
    Case(
        "bool-size",
        "silent",
        lambda tmp: _config(num_hidden_layers=True),
        ValueError,
        "expected a positive integer",
    ),
    Case(
        "token-types-without-table",
        "silent",
        _token_types_without_a_segment_table,
        ValueError,
        "no segment embeddings; token_type_ids must be all 0",
    ),
    Case("token-types-to-gpt", "silent", _token_types_to_gpt, ValueError, "no segment embeddings"),
    Case(
        "pretrain-no-steps",
        "silent",
        lambda tmp: main(["pretrain", "--steps=0", "--output", str(tmp / "out")]),
        ValueError,
        "steps=0; expected an integer >= 1",
    ),
    Case(
        "finetune-no-epochs",
        "silent",
        lambda tmp: _finetune_on(tmp, _finetune_file(tmp, "text,label\na,x\n"), "--epochs", "0"),
        ValueError,
        "epochs=0.0; expected a number > 0",
    ),
    Case(
        "empty-label-cell",
        "silent",
        lambda tmp: _finetune_on(tmp, _finetune_file(tmp, "text,label\nhello,a\nhow are you,\n")),
        ValueError,
        "row 2 has an empty 'label' cell",
    ),
    # unclear errors
    Case(
        "token-type-out-of-range",
        "unclear",
        lambda tmp: _run(_bert(), input_ids=_ids([5, 6]), token_type_ids=_ids([0, 5])),
        ValueError,
        r"token_type_ids contains 5; expected segment ids in \[0, type_vocab_size=2\)",
    ),
    Case(
        "position-out-of-range",
        "unclear",
        lambda tmp: _run(_bert(), input_ids=_ids([5, 6]), position_ids=_ids([0, 40])),
        ValueError,
        r"position_ids contains 40; expected positions in \[0, max_position_embeddings=32\)",
    ),
    Case(
        "label-out-of-range",
        "unclear",
        lambda tmp: _run(_bert(), input_ids=_ids([5, 6]), labels=_ids([5, 99])),
        ValueError,
        r"labels contains 99; expected class ids in \[0, 64\) or -100",
    ),
    Case(
        "float-input-ids",
        "unclear",
        lambda tmp: _run(_bert(), input_ids=_ids([5, 6]).float()),
        TypeError,
        r"input_ids has dtype torch.float32; expected token ids as integers",
    ),
    Case(
        "list-input-ids",
        "unclear",
        lambda tmp: _run(_bert(), input_ids=[[5, 6]]),
        TypeError,
        r"input_ids is a list; expected a torch.Tensor",
    ),
    Case(
        "inputs-embeds-width",
        "unclear",
        lambda tmp: _run(_bert(), inputs_embeds=torch.zeros(1, 2, 30)),
        ValueError,
        r"inputs_embeds has shape \(1, 2, 30\); expected \(batch, length, 32\)",
    ),
    Case(
        "generate-past-position-table",
        "unclear",
        lambda tmp: _gpt().generate(_ids([5] * 10), max_new_tokens=20, do_sample=False),
        ValueError,
        r"sequence length 17 \(16 cached \+ 1 new\) exceeds max_position_embeddings=16",
    ),
    Case(
        "invalid-config-json", "unclear", _bad_config_json, CheckpointError, r"config.json is not valid JSON"
    ),
    Case(
        "shard-index-not-a-map", "unclear", _shard_index_not_a_map, CheckpointError, "not a valid shard index"
    ),
    Case("csv-empty", "unclear", _csv(b""), ValueError, r"train.csv: the file is empty"),
    Case(
        "csv-unclosed-quote",
        "unclear",
        _csv(b'text,label\n"open,1\nok,0\n'),
        ValueError,
        "not a readable CSV",
    ),
    Case("csv-not-utf8", "unclear", _csv(b"text,label\n\xff\xfe bad,1\n"), ValueError, "not UTF-8 text"),
    Case("csv-header-only", "unclear", _csv(b"text,label\n"), ValueError, "the file has no rows"),
    Case(
        "csv-ragged-rows",
        "unclear",
        _csv(b"text,label\na,b,c,d\n"),
        ValueError,
        "more fields than the header",
    ),
    Case("output-dot", "unclear", _output_dot),
    Case(
        "huge-position-table",
        "unclear",
        lambda tmp: _config(max_position_embeddings=10**12),
        ValueError,
        r"max_position_embeddings=1000000000000; expected at most 1048576",
    ),
    Case(
        "symlink-loop-load",
        "unclear",
        _symlink_loop("load"),
        CheckpointError,
        "symbolic link that leads nowhere",
    ),
    Case(
        "symlink-loop-save",
        "unclear",
        _symlink_loop("save"),
        CheckpointError,
        "symbolic link that leads nowhere",
    ),
    Case(
        "electra-joint-model-from-a-discriminator",
        "unclear",
        _electra_joint_model_from_a_discriminator,
        ValueError,
        "holds ElectraModel weights: the discriminator alone; ElectraForPreTraining loads joint",
    ),
    Case(
        "unknown-family-remote-code-prompt",
        "unclear",
        _unknown_family,
        ValueError,
        "model_type 'hf_ssl_future', which this hf_ssl does not have",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.was}-{case.name}")
def test_case(case: Case, tmp_path: Path) -> None:
    if case.error is None:
        case.action(tmp_path)
    else:
        with pytest.raises(case.error, match=case.message):
            case.action(tmp_path)


def figures() -> str:
    """The README's reliability sentence, counted from CASES."""
    errors = sum(case.error is not None for case in CASES)
    losses = sum(case.was == "loss" for case in CASES)
    return (
        f"{len(CASES)} bad inputs and faults: {errors} end in a clear error naming the value, "
        f"{len(CASES) - errors} in a correct result (the {losses} former data-loss cases among them); "
        "0 silent wrong results and 0 data-loss cases remain"
    )


def test_the_readme_reports_these_figures() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert figures() in " ".join(readme.split()), f"README should say: {figures()}"


def test_every_case_has_a_unique_name_and_a_known_origin() -> None:
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))
    assert {case.was for case in CASES} <= {"loss", "silent", "unclear"}
