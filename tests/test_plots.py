"""The loss-curve figure: a real PNG from Trainer's log history; an empty history is named."""

from __future__ import annotations

import pytest

from hf_ssl.plots import save_finetuning_curves, save_loss_curve


def test_loss_curve_is_a_png_of_the_logged_losses(tmp_path):
    history = [{"step": s, "loss": 5.0 / s} for s in range(1, 6)] + [{"step": 5, "eval_loss": 1.2}]
    path = save_loss_curve(history, tmp_path / "curve.png", title="tiny")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 1000


def test_a_history_without_losses_is_named(tmp_path):
    with pytest.raises(ValueError, match="no 'loss' or 'eval_loss' entries"):
        save_loss_curve([{"step": 1, "learning_rate": 0.1}], tmp_path / "curve.png")


def test_finetuning_curves_put_every_starting_point_on_one_png(tmp_path):
    def history(scale: float) -> list[dict]:
        return [{"step": s, "loss": scale / s} for s in range(1, 9)] + [{"step": 8, "eval_loss": scale / 4}]

    runs = {"pretrained": [history(1.0), history(1.1)], "from scratch": [history(2.0), history(2.2)]}
    path = save_finetuning_curves(runs, tmp_path / "curves.png", title="tiny")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 1000
    with pytest.raises(ValueError, match="at least one log history"):
        save_finetuning_curves({"pretrained": []}, tmp_path / "none.png")
