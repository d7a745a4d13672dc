"""The README must stay true: its examples run as written and print what they claim, they are
the same code as the scripts in examples/, and its test command is the one CI runs."""

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
# README section -> the example script holding the same code
SECTIONS = {"## A training loop": "quickstart.py", "## Write a model": "write_a_model.py"}


def _section(title: str) -> str:
    return README.split(title, 1)[1].split("\n## ", 1)[0]


def _code(title: str) -> str:
    return re.search(r"```python\n(.*?)```", _section(title), re.S).group(1)


# README sections whose first python block runs as printed and prints what the text claims
PRINTING = [*SECTIONS, "## How it works"]  # the last: writing an op (a Function)


@pytest.mark.parametrize("title", PRINTING)
def test_readme_example_runs_and_prints_what_it_claims(title, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples may write files (a checkpoint)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(_code(title), "README.md", "exec"), {"__name__": "__main__"})
    claimed = re.search(r"It prints `([^`]*)`", _section(title)).group(1)
    assert out.getvalue().strip() == claimed


def test_the_op_writing_block_is_a_complete_function():
    code = _code("## How it works")
    assert "from tinygrad_edu.autograd import Function" in code
    assert "class Mul(Function):" in code and "def backward(ctx, grad):" in code


@pytest.mark.parametrize("title, script", SECTIONS.items())
def test_readme_example_is_the_example_script(title, script):
    assert _code(title).strip() in (ROOT / "examples" / script).read_text()


def test_readme_test_command_is_the_ci_command():
    first_block = re.search(r"```bash\n(.*?)```", README, re.S).group(1).strip().splitlines()
    assert len(first_block) == 2
    ci = (ROOT / ".ci" / "run").read_text()
    assert first_block[1].strip() in ci
    setup = first_block[0]
    assert "pip install torch==2.13.0" in setup and "pip install torch==2.13.0" in ci


def test_readme_cnn_runs_as_pytorch_examples_net():
    """The README's CNN block (pytorch/examples' MNIST net, imports changed) builds and runs:
    log-probabilities (N, 10) for a batch of 28x28 images, and a gradient for every layer."""
    import numpy as np

    namespace: dict = {"__name__": "readme"}
    exec(compile(_code("## A CNN, and the everyday layer set"), "README.md", "exec"), namespace)
    tg = namespace["torch"]
    model = namespace["Net"]()
    out = model(tg.rand(3, 1, 28, 28))
    assert out.shape == (3, 10)
    np.testing.assert_allclose(np.exp(out.detach().numpy()).sum(axis=1), 1.0, rtol=1e-5)
    out[:, 0].sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_readme_pytorch_script_runs_with_its_imports_changed(tmp_path, monkeypatch):
    """The import-swap block: torchvision's FashionMNIST with transforms, a DataLoader with a worker
    process, the device boilerplate; one normalized batch of the right dtype and shape."""
    import multiprocessing

    monkeypatch.chdir(tmp_path)  # "../data" does not exist: the local copies are found
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(_code("## Run a PyTorch script"), "README.md", "exec"), {"__name__": "x"})
    match = re.fullmatch(r"float32 \(64, 1, 28, 28\) \[([\d, ]+)\] mean (-?[\d.]+)\n",
                         out.getvalue())
    assert match, out.getvalue()
    assert all(0 <= int(v) <= 9 for v in match.group(1).split(", "))
    assert abs(float(match.group(2))) < 0.3  # Normalize((0.2860,), (0.3530,)) centres it
    assert not multiprocessing.active_children()  # the worker was shut down


def test_readme_backprop_block_draws_and_explores_the_watched_step(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scope: dict = {"__name__": "__main__"}
    title = "## See backprop: gradients in the picture, a step-through explorer, TensorBoard"
    exec(compile(_code(title), "README.md", "exec"), scope)
    model, dot, page = scope["model"], scope["dot"], scope["page"]
    assert page.is_file() and page.read_text().lstrip().lower().startswith("<!doctype html>")
    # the picture shows the last layer's bias gradient (a single number) as .grad holds it
    bias_grad = float(model[2].bias.grad.numpy()[0])
    assert f"{bias_grad:.4g}" in dot
    # and the watched intermediate (the first Sigmoid's output) with its values
    assert "Sigmoid" in dot and "data" in dot and "dz/dx = z (1 - z)" in dot


def test_readme_compile_block_prints_the_loss_and_the_tape_shown(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    title = "## `tg.compile`: record a step once, replay it"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(_code(title), "README.md", "exec"), {"__name__": "__main__"})
    printed = out.getvalue().strip()
    section = _section(title)
    claimed_loss = re.search(r"It prints the loss \(`([^`]*)`\)", section).group(1)
    shown_tape = re.search(r"```text\n(.*?)```", section, re.S).group(1).strip()
    assert printed == f"{claimed_loss}\n{shown_tape}"
