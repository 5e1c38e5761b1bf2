"""Outputs never cost a user's files: a non-empty directory is refused unless overwrite is asked for,
and then only the run's own files replace their namesakes."""

from __future__ import annotations

import json

import pytest
import torch

import hf_ssl
from hf_ssl.cli import main
from hf_ssl.io import atomic_directory, check_output_directory


def _user_files(directory):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "notes.txt").write_text("mine")
    (directory / "sub").mkdir()
    (directory / "sub" / "data.csv").write_text("a,b")


def test_a_non_empty_directory_is_refused_naming_it_and_its_files(tmp_path):
    _user_files(tmp_path / "out")
    refused = pytest.raises(FileExistsError, match=r"out.* is not empty \(notes.txt, sub\).*--overwrite")
    with refused, atomic_directory(tmp_path / "out") as staging:
        (staging / "config.json").write_text("{}")
    assert (tmp_path / "out" / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["notes.txt", "sub"]


def test_a_file_is_refused_as_an_output_directory(tmp_path):
    (tmp_path / "out").write_text("x")
    with pytest.raises(FileExistsError, match="is a file"):
        check_output_directory(tmp_path / "out", overwrite=True)


def test_overwrite_replaces_namesakes_and_keeps_every_other_file(tmp_path):
    target = tmp_path / "out"
    _user_files(target)
    (target / "config.json").write_text("old")
    (target / "model-00001-of-00002.safetensors").write_text("old shard")  # an older, sharded save
    with atomic_directory(target, overwrite=True) as staging:
        (staging / "config.json").write_text("new")
        (staging / "model.safetensors").write_text("new weights")
        (staging / "sub").mkdir()
        (staging / "sub" / "run.json").write_text("{}")
    assert (target / "config.json").read_text() == "new"
    assert (target / "notes.txt").read_text() == "mine"
    assert (target / "sub" / "data.csv").read_text() == "a,b" and (target / "sub" / "run.json").exists()
    assert not (target / "model-00001-of-00002.safetensors").exists()  # would mix with the new weights
    assert not [p for p in target.iterdir() if p.name.startswith(".")]  # no staging left behind


def test_a_failed_run_leaves_an_existing_directory_as_it_was(tmp_path):
    target = tmp_path / "out"
    _user_files(target)
    before = sorted(str(p.relative_to(target)) for p in target.rglob("*"))
    with pytest.raises(RuntimeError), atomic_directory(target, overwrite=True) as staging:
        (staging / "notes.txt").write_text("half")
        raise RuntimeError("interrupted")
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*")) == before
    assert (target / "notes.txt").read_text() == "mine"


def test_a_new_directory_appears_whole_and_nothing_is_left_beside_it(tmp_path):
    with atomic_directory(tmp_path / "new" / "out") as staging:
        (staging / "config.json").write_text("{}")
    assert [p.name for p in (tmp_path / "new").iterdir()] == ["out"]
    assert [p.name for p in (tmp_path / "new" / "out").iterdir()] == ["config.json"]


def test_an_output_reached_through_a_symlink_is_written_in_the_real_directory(tmp_path):
    real = tmp_path / "volume" / "model"
    real.mkdir(parents=True)
    (tmp_path / "link").symlink_to(real)
    with atomic_directory(tmp_path / "link", overwrite=True) as staging:
        (staging / "config.json").write_text("{}")
    assert (tmp_path / "link").is_symlink() and (real / "config.json").exists()


def _checkpoint(directory):
    config = hf_ssl.BertConfig(
        vocab_size=64, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64
    )
    torch.manual_seed(0)
    hf_ssl.BertForMaskedLM(config).save_pretrained(directory)
    return json.loads((directory / "config.json").read_text())


def test_cli_convert_refuses_a_non_empty_output_and_overwrites_only_when_asked(tmp_path):
    source = tmp_path / "source"
    _checkpoint(source)
    output = tmp_path / "output"
    _user_files(output)
    with pytest.raises(FileExistsError, match="--overwrite"):
        main(["convert", str(source), str(output), "--to", "transformers"])
    assert sorted(p.name for p in output.iterdir()) == ["notes.txt", "sub"]
    main(["convert", str(source), str(output), "--to", "transformers", "--overwrite"])
    assert (output / "notes.txt").read_text() == "mine" and (output / "config.json").exists()


def test_cli_finetune_into_its_own_model_dir_is_refused_before_training(tmp_path):
    model_dir = tmp_path / "pretrained"
    config = _checkpoint(model_dir)
    files = sorted(p.name for p in model_dir.iterdir())
    with pytest.raises(FileExistsError, match=r"pretrained.* is not empty"):
        files_args = ["--train-file", "missing.csv", "--eval-file", "missing.csv"]
        main(["finetune", "--model-dir", str(model_dir), *files_args, "--output", str(model_dir)])
    assert sorted(p.name for p in model_dir.iterdir()) == files
    assert json.loads((model_dir / "config.json").read_text()) == config


@pytest.mark.parametrize(("command", "value"), [("pretrain", "--steps=0"), ("pretrain", "--steps=-3")])
def test_a_run_of_no_steps_is_refused_naming_the_value(tmp_path, command, value):
    with pytest.raises(ValueError, match=r"steps=(0|-3); expected an integer >= 1"):
        main([command, value, "--output", str(tmp_path / "out")])
    assert not (tmp_path / "out").exists()


def test_finetuning_for_no_epochs_is_refused_naming_the_value(tmp_path):
    files = ["--train-file", "t.csv", "--eval-file", "e.csv"]
    with pytest.raises(ValueError, match=r"epochs=0.0; expected a number > 0"):
        main(
            [
                "finetune",
                "--model-dir",
                str(tmp_path),
                *files,
                "--output",
                str(tmp_path / "o"),
                "--epochs",
                "0",
            ]
        )


def test_an_empty_label_cell_is_refused_naming_file_and_row(tmp_path):
    model_dir = tmp_path / "pretrained"
    _checkpoint(model_dir)
    train = tmp_path / "train.csv"
    train.write_text("text,label\nhello there,a\nhow are you,\nfine thanks,b\n")
    files = ["--train-file", str(train), "--eval-file", str(train)]
    with pytest.raises(ValueError, match=r"train.csv: row 2 has an empty 'label' cell"):
        main(["finetune", "--model-dir", str(model_dir), *files, "--output", str(tmp_path / "out")])


def _is(loaded, hidden_act: str, seed: int) -> bool:
    from tests.test_atomic_save import _model as _bert

    reference = _bert(hidden_act, seed).state_dict()
    return loaded.config.hidden_act == hidden_act and all(
        torch.equal(value, reference[key]) for key, value in loaded.state_dict().items()
    )


def test_an_overwrite_killed_at_any_file_operation_leaves_the_old_or_the_new_run_whole(tmp_path):
    """`--overwrite` into a previous run's directory, with a sub-checkpoint (ELECTRA's layout): killed
    at every file operation, both checkpoints load as the old run or both as the new one, and the
    user's file stays."""
    from tests.test_atomic_save import Killed, killed_at
    from tests.test_atomic_save import _model as _bert

    old, new = ("gelu", 0), ("relu", 1)

    def write_run(directory, run):
        _bert(*run).save_pretrained(directory)
        _bert(*run).save_pretrained(directory / "discriminator")
        (directory / "metrics.json").write_text(json.dumps({"run": run[0]}))

    def previous_run(directory):
        write_run(directory, old)
        (directory / "notes.txt").write_text("mine")

    counter = [0]
    previous_run(tmp_path / "rehearsal")
    with killed_at(None, counter), atomic_directory(tmp_path / "rehearsal", overwrite=True) as staging:
        write_run(staging, new)
    operations = counter[0]
    assert operations >= 10
    outcomes = set()
    for step in range(operations):
        directory = tmp_path / f"kill-{step}"
        previous_run(directory)
        counter[0] = 0
        with (
            pytest.raises(Killed),
            killed_at(step, counter),
            atomic_directory(directory, overwrite=True) as staging,
        ):
            write_run(staging, new)
        # The sub-checkpoint first: its load must finish the parent's interrupted switch too.
        discriminator = hf_ssl.BertModel.from_pretrained(directory / "discriminator")
        top = hf_ssl.BertModel.from_pretrained(directory)
        run = json.loads((directory / "metrics.json").read_text())["run"]
        outcome = next((r for r in (old, new) if _is(top, *r) and _is(discriminator, *r)), None)
        assert outcome is not None and run == outcome[0], f"killed at operation {step} of {operations}"
        assert (directory / "notes.txt").read_text() == "mine"
        assert not [p.name for p in directory.iterdir() if p.name.startswith(".")]
        outcomes.add(outcome)
    assert outcomes == {old, new}  # the kills fell both before and after the commit
