"""plot_history is readable after one epoch: a dot with its value on a whole-number axis, no
panel for a metric that never changed, and a title that counts epochs in good English."""

from __future__ import annotations

import sys

import pytest

pytest.importorskip("matplotlib")

from tinygrad_edu.viz import plots  # noqa: E402


@pytest.fixture
def drawn(monkeypatch, tmp_path):
    """Call plot_history and get back the matplotlib Figure it saved."""
    figures = []
    real_save = plots._save

    def keep(fig, path):
        figures.append(fig)
        return real_save(fig, path)

    monkeypatch.setattr(plots, "_save", keep)

    def draw(history, **kwargs):
        out = plots.plot_history(history, tmp_path / "h.png", **kwargs)
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        return figures[-1]
    return draw


def rows(n: int, lr=lambda epoch: 0.001):
    return [{"epoch": float(e), "loss": 1.0 / e, "accuracy": 0.5 + e / 100,
             "val_loss": 1.1 / e, "val_accuracy": 0.4 + e / 100, "lr": lr(e)}
            for e in range(1, n + 1)]


def test_one_epoch_is_a_dot_with_its_value_and_no_flat_panel(drawn):
    fig = drawn(rows(1))
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == ["loss", "accuracy"]  # no lr panel
    assert fig._suptitle.get_text() == "1 epoch\nlr 0.001"
    for ax in axes:
        assert list(ax.get_xticks()) == [1.0]
        lo, hi = ax.get_xlim()
        assert lo < 1 < hi and hi - lo >= 1  # not 0.95..1.05
        assert all(line.get_marker() == "o" for line in ax.get_lines())
    labels = {t.get_text() for t in axes[0].texts}
    assert labels == {"1", "1.1"}  # loss 1.0 and val_loss 1.1 written beside their dots


def test_five_epochs_say_epochs_and_name_the_constant_lr(drawn):
    fig = drawn(rows(5))
    assert fig._suptitle.get_text() == "5 epochs\nlr 0.001 (constant)"
    assert len(fig.axes) == 2 and not fig.axes[0].texts
    lo, hi = fig.axes[0].get_xlim()
    shown = [t for t in fig.axes[0].get_xticks() if lo <= t <= hi]
    assert shown == [1.0, 2.0, 3.0, 4.0, 5.0]  # whole epochs


def test_a_changing_lr_keeps_its_panel_and_a_title_is_kept(drawn):
    fig = drawn(rows(3, lr=lambda e: 0.1 / e), title="StepLR")
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy", "lr"]
    assert fig._suptitle.get_text() == "StepLR (3 epochs)"


def test_steps_are_counted_as_steps_and_a_lone_constant_metric_still_draws(drawn):
    fig = drawn([{"step": 1.0, "grad_norm": 2.0}, {"step": 2.0, "grad_norm": 2.0}])
    assert [ax.get_title() for ax in fig.axes] == ["grad_norm"]
    assert fig._suptitle.get_text() == "2 steps"


def test_without_matplotlib_the_error_names_it(monkeypatch, tmp_path):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r"tinygrad_edu\[plot\]") as err:
        plots.plot_history(rows(2), tmp_path / "h.png")
    assert err.value.name == "matplotlib"
