"""``viz.plots``: every plot writes a PNG that is not blank; history files are read; the grid
contour puts Z[i, j] where its convention says; matplotlib stays optional."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.viz import plots as P

pytest.importorskip("matplotlib")

BLANK_VARIANCE = 1e-3  # a white page has 0; a drawn plot has far more


def pixels(path: Path) -> np.ndarray:
    from matplotlib.image import imread

    image = imread(path)
    assert image.ndim == 3 and image.shape[0] > 50 and image.shape[1] > 50
    return image[..., :3].astype(np.float64)


def assert_drawn(path: Path, expected: Path) -> np.ndarray:
    assert path == expected and path.exists()
    image = pixels(path)
    assert image.var() > BLANK_VARIANCE, image.var()
    return image


# ---------------------------------------------------------------------------- history

HISTORY: dict[str, list[float]] = {
    "epoch": [1, 2, 3, 4], "loss": [2.3, 1.1, 0.7, 0.5], "val_loss": [2.4, 1.3, 0.9, 0.8],
    "accuracy": [0.2, 0.6, 0.8, 0.9], "val_accuracy": [0.2, 0.5, 0.7, 0.8]}


def rows() -> list[dict[str, Any]]:
    return [dict(zip(HISTORY, values, strict=True)) for values in zip(*HISTORY.values(),
                                                                       strict=True)]


def test_load_history_from_every_source(tmp_path: Path) -> None:
    csv_path = tmp_path / "metrics.csv"
    csv_path.write_text("epoch,loss,accuracy,phase\n1,2.3,0.2,train\n2,1.1,,train\n")
    jsonl = tmp_path / "metrics.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in rows()) + "\n")
    keras_like = type("H", (), {"history": HISTORY})()
    from_csv = P.load_history(csv_path)
    assert list(from_csv) == ["epoch", "loss", "accuracy"]  # 'phase' holds no numbers
    assert from_csv["loss"] == [2.3, 1.1] and np.isnan(from_csv["accuracy"][1])
    for source in (HISTORY, rows(), jsonl, str(jsonl), keras_like):
        assert P.load_history(source) == {k: [float(v) for v in vs] for k, vs in HISTORY.items()}
    with pytest.raises(FileNotFoundError):
        P.load_history(tmp_path / "missing.csv")
    with pytest.raises(TypeError, match="mapping"):
        P.load_history(3.5)


def test_plot_history_writes_loss_and_accuracy_curves(tmp_path: Path) -> None:
    out = P.plot_history(HISTORY, tmp_path / "history.png", title="seed 004")
    assert_drawn(out, tmp_path / "history.png")
    path = tmp_path / "m.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows()))
    assert_drawn(P.plot_history(path, tmp_path / "from_file.png"), tmp_path / "from_file.png")
    wide = {"loss": list(np.logspace(1, -4, 50)), "log likelihood": list(-np.logspace(1, -4, 50))}
    assert_drawn(P.plot_history(wide, tmp_path / "wide.png"), tmp_path / "wide.png")
    with pytest.raises(ValueError, match="no metric"):
        P.plot_history({"epoch": [1, 2]}, tmp_path / "none.png")


# ---------------------------------------------------------------------------- decision boundary

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_Y = np.array([0, 1, 1, 0])


def test_decision_boundary_of_xor_probabilities(tmp_path: Path) -> None:
    def xor_probability(points: np.ndarray) -> np.ndarray:
        a, b = points[:, 0] > 0.5, points[:, 1] > 0.5
        return (a ^ b).astype(np.float32) * 0.8 + 0.1

    image = assert_drawn(P.plot_decision_boundary(xor_probability, XOR_X, XOR_Y,
                                                  tmp_path / "xor.png"), tmp_path / "xor.png")
    # the class-1 corners are red, the class-0 ones green: both hues are in the picture
    red = (image[..., 0] > image[..., 1] + 0.15).mean()
    green = (image[..., 1] > image[..., 0] + 0.15).mean()
    assert red > 0.05 and green > 0.05


def test_decision_boundary_of_a_model_and_of_class_scores(tmp_path: Path) -> None:
    tg.manual_seed(2)
    model = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 1), nn.Sigmoid())
    out = P.plot_decision_boundary(lambda p: model(tg.Tensor(p)), XOR_X, tg.tensor(XOR_Y),
                                   tmp_path / "model.png", resolution=50)
    assert_drawn(out, tmp_path / "model.png")
    three = tmp_path / "three.png"
    scores = P.plot_decision_boundary(lambda p: np.stack([p[:, 0], p[:, 1], -p.sum(1)], 1),
                                      XOR_X, [0, 1, 2, 0], three, resolution=40)
    assert_drawn(scores, three)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        P.plot_decision_boundary(lambda p: p, np.zeros((4, 3)), XOR_Y, three)


# ---------------------------------------------------------------------------- images


def test_image_grid_of_originals_and_reconstructions(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    originals = rng.random((6, 784))
    reconstructions = tg.Tensor(rng.random((6, 28, 28)).astype(np.float32) * 0.5)
    out = P.image_grid([originals, reconstructions], tmp_path / "ae.png",
                       titles=["original", "reconstruction"])
    assert_drawn(out, tmp_path / "ae.png")
    ragged = P.image_grid([originals[:2], originals[:5]], tmp_path / "ragged.png")
    assert_drawn(ragged, tmp_path / "ragged.png")
    with pytest.raises(ValueError, match="titles"):
        P.image_grid([originals], tmp_path / "x.png", titles=["a", "b"])
    with pytest.raises(ValueError, match="image_shape"):
        P.image_grid([rng.random((2, 10))], tmp_path / "x.png")
    odd = P.image_grid([rng.random((2, 10))], tmp_path / "odd.png", image_shape=(2, 5))
    assert_drawn(odd, tmp_path / "odd.png")


# ---------------------------------------------------------------------------- grid contour

L1 = np.array([0.0, 0.05, 0.1, 0.15, 0.2])
L2 = np.array([0.0, 0.1, 0.2])


def test_grid_xy_conventions() -> None:
    xy = np.arange(15.0).reshape(3, 5)  # Z[i, j] at (x=L1[j], y=L2[i])
    x, y, z = P.grid_xy(L1, L2, xy)
    assert z is not None and np.array_equal(z, xy) and np.array_equal(x, L1)
    _, _, z_ij = P.grid_xy(L1, L2, xy.T, indexing="ij")  # Z[i, j] at (x=L1[i], y=L2[j])
    assert np.array_equal(z_ij, xy)
    with pytest.raises(ValueError, match="indexing='ij'"):
        P.grid_xy(L1, L2, xy.T)
    with pytest.raises(ValueError, match=r"\(3, 5\)"):
        P.grid_xy(L1, L2, np.zeros((4, 4)))
    with pytest.raises(ValueError, match="indexing"):
        P.grid_xy(L1, L2, xy, indexing="yx")


def test_grid_contour_puts_the_x_dependence_along_x(tmp_path: Path) -> None:
    # seed 003's loop: zgrid[i][j] with L1 = xs[i], L2 = ys[j]; here accuracy falls with L1 only
    z_ij = np.array([[0.9 - 2 * a for _ in L2] for a in L1])
    out = P.plot_grid_contour(L1, L2, z_ij, tmp_path / "grid.png", xlabel="L1 coeff",
                              ylabel="L2 coeff", indexing="ij", mark="max")
    image = assert_drawn(out, tmp_path / "grid.png")
    brightness = image.mean(axis=2)
    h, w = brightness.shape
    rows = slice(int(0.3 * h), int(0.6 * h))
    left = brightness[rows, int(0.17 * w): int(0.22 * w)].mean()
    right = brightness[rows, int(0.68 * w): int(0.73 * w)].mean()
    top = brightness[int(0.2 * h): int(0.3 * h), int(0.4 * w): int(0.5 * w)].mean()
    bottom = brightness[int(0.6 * h): int(0.7 * h), int(0.4 * w): int(0.5 * w)].mean()
    # viridis: high values are bright, low values dark; the colour changes left to right only
    assert left > right + 0.15, (left, right)
    assert abs(top - bottom) < 0.1, (top, bottom)
    with pytest.raises(ValueError, match="at least 2"):
        P.plot_grid_contour([1.0], L2, np.zeros((3, 1)), tmp_path / "x.png")


# ---------------------------------------------------------------------------- sweeps


def test_sweeps_of_width_and_depth(tmp_path: Path) -> None:
    widths = [2**k for k in range(1, 12)]
    accuracy = [0.5 + 0.04 * k for k in range(11)]
    assert_drawn(P.plot_sweep(widths, accuracy, tmp_path / "width.png"), tmp_path / "width.png")
    depth = P.plot_sweep(range(1, 11), {"SGD": np.linspace(0.9, 0.95, 10),
                                        "RMSprop": np.linspace(0.95, 0.9, 10)},
                         tmp_path / "depth.png", log2=False, xlabel="hidden layers")
    assert_drawn(depth, tmp_path / "depth.png")
    two = P.plot_sweep(widths, np.stack([accuracy, accuracy[::-1]]), tmp_path / "two.png",
                       labels=["a", "b"])
    assert_drawn(two, tmp_path / "two.png")
    with pytest.raises(ValueError, match="log2=False"):
        P.plot_sweep([0, 1, 2], [1, 2, 3], tmp_path / "x.png")
    with pytest.raises(ValueError, match="values"):
        P.plot_sweep([1, 2, 4], [1, 2], tmp_path / "x.png")


# ---------------------------------------------------------------------------- optional matplotlib


def test_missing_matplotlib_names_the_extra(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r"pip install 'tinygrad_edu\[plot\]'"):
        P.plot_sweep([1, 2], [1, 2], tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_importing_viz_does_not_import_matplotlib() -> None:
    code = "import sys, tinygrad_edu.viz; print('matplotlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"


def test_plot_history_reads_the_history_that_fit_returns(tmp_path: Path) -> None:
    from tinygrad_edu.train import History

    history = History([{"epoch": 1.0, "loss": 0.9, "accuracy": 0.5},
                       {"epoch": 2.0, "loss": 0.4, "accuracy": 0.8}])
    assert P.load_history(history) == {"epoch": [1.0, 2.0], "loss": [0.9, 0.4],
                                       "accuracy": [0.5, 0.8]}
    assert P.plot_history(history, tmp_path / "h.png").stat().st_size > 0
