"""The command line answers at once and fails early: defaults in --help, every setting checked
before the tokenizer trains, a missing model directory named as one."""

from __future__ import annotations

import pytest

from hf_ssl.cli import main, run
from hf_ssl.recipes import PretrainSettings, pretrain, pretraining


def test_help_shows_each_options_default(capsys):
    with pytest.raises(SystemExit):
        main(["pretrain", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    defaults = PretrainSettings()
    for option, value in (
        ("--steps", defaults.steps),
        ("--vocab-size", defaults.vocab_size),
        ("--model", "bert"),
    ):
        assert f"(default: {value})" in text.split(option, 2)[-1].split("--", 1)[0], option
    with pytest.raises(SystemExit):
        main(["finetune", "--help"])
    assert "--epochs EPOCHS (default: 4.0)" in " ".join(capsys.readouterr().out.split())


@pytest.fixture
def no_tokenizer_training(monkeypatch):
    """Pretraining that would train a tokenizer fails the test: the settings must be refused first."""

    def trained(*args, **kwargs):
        raise AssertionError("the tokenizer trained before the settings were checked")

    monkeypatch.setitem(pretraining.TOKENIZERS, "bert", trained)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            {"preset": "huge"},
            r"preset='huge' for model 'bert'; expected one of \['base', 'large', 'medium', 'mini'",
        ),
        ({"steps": 0}, r"steps=0; expected an integer >= 1"),
        ({"vocab_size": -5}, r"vocab_size=-5; expected an integer >= 1"),
        ({"seq_len": 0}, r"seq_len=0; expected an integer >= 1"),
        ({"batch_size": 2.5}, r"batch_size=2.5; expected an integer >= 1"),
        ({"learning_rate": 0.0}, r"learning_rate=0.0; expected a number > 0"),
        ({"eval_fraction": 1.0}, r"eval_fraction=1.0; expected a fraction in \(0, 1\)"),
    ],
)
def test_pretraining_settings_are_refused_before_the_tokenizer_trains(
    setting, message, tmp_path, no_tokenizer_training
):
    with pytest.raises(ValueError, match=message):
        pretrain(PretrainSettings(output=str(tmp_path / "run"), **setting))
    assert not (tmp_path / "run").exists()


def test_the_command_line_refuses_a_bad_preset_in_one_line(tmp_path, capsys, no_tokenizer_training):
    assert run(["pretrain", "--preset", "huge", "--output", str(tmp_path / "run")]) == 2
    assert "hf-ssl pretrain: error: preset='huge' for model 'bert'" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["finetune", "evaluate"])
def test_a_missing_model_directory_is_named_as_one(command, tmp_path, capsys):
    table = tmp_path / "train.csv"
    table.write_text("text,label\nCall me Ishmael.,statement\n")
    files = ["--eval-file", str(table)]
    if command == "finetune":
        files += ["--train-file", str(table), "--output", str(tmp_path / "out")]
    assert run([command, "--model-dir", str(tmp_path / "absent"), *files]) == 2
    error = capsys.readouterr().err
    assert f"model_dir='{tmp_path / 'absent'}': no such directory" in error
    (tmp_path / "empty").mkdir()
    assert run([command, "--model-dir", str(tmp_path / "empty"), *files]) == 2
    assert "holds no config.json" in capsys.readouterr().err
