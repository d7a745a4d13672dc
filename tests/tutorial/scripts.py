"""Run examples/pytorch_style's scripts (as written or with imports swapped) and read results.

Used by tests/examples/test_pytorch_style.py, and as a script to record PyTorch's figures
(torchvision is not in CI) and to measure both frameworks' spread over seeds once::

    /tmp/tvenv/bin/python tests/tutorial/scripts.py record     # PyTorch: writes the JSON
    .venv/bin/python tests/tutorial/scripts.py spread          # tinygrad_edu: adds its spread
    python tests/tutorial/scripts.py full [--swap]             # default settings, figures only

Each run is a fresh interpreter executing the script file through ``runpy`` (so its
``if __name__ == "__main__"`` block runs), one interpreter for all seeds of one script.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

try:
    from .cells import PROJECT, prepare_data_root, swap_imports
except ImportError:  # run as a script
    from cells import PROJECT, prepare_data_root, swap_imports  # type: ignore[no-redef]

EXAMPLES = PROJECT / "examples" / "pytorch_style"
REFERENCE = PROJECT / "tests" / "examples" / "pytorch_style_torch.json"
SEEDS = (1, 2, 3)

#: The quick settings the tests use (``--data`` and, for vae, ``--results`` are added).
QUICK: dict[str, list[str]] = {
    "mnist": "--epochs 1 --max-batches 20 --batch-size 64 --test-batch-size 100".split(),
    "vae": "--epochs 1 --max-batches 10 --batch-size 128".split(),
    "regression": "--max-batches 3000".split(),
}
#: Regression is cheap: more seeds make its batch-count median meaningful.
REGRESSION_SEEDS = tuple(range(1, 9))

_DRIVER = """
import contextlib, io, json, runpy, sys, time
script, runs, out = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
try:
    import torch
    torch.set_num_threads(1)  # one thread, as the tests: fair on shared cores
except ImportError:
    pass
results = []
for argv in runs:
    sys.argv = [script, *argv]
    buffer = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(buffer):
        runpy.run_path(script, run_name="__main__")
    results.append({"argv": argv, "stdout": buffer.getvalue(),
                    "seconds": round(time.perf_counter() - start, 2)})
with open(out, "w") as f:
    json.dump(results, f)
"""


def script_source(name: str, swap: bool) -> str:
    text = (EXAMPLES / f"{name}.py").read_text()
    return swap_imports(text) if swap else text


def run_script(
    python: str, name: str, runs: list[list[str]], swap: bool, workdir: Path, timeout: float = 900
) -> list[dict[str, Any]]:
    """Run script ``name`` once per argv in ``runs`` in one fresh ``python``; its outputs."""
    workdir.mkdir(parents=True, exist_ok=True)
    script = workdir / f"{name}{'_swapped' if swap else ''}.py"
    script.write_text(script_source(name, swap))
    out = workdir / f"{name}.json"
    command = [python, "-c", _DRIVER, str(script), json.dumps(runs), str(out)]
    done = subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{name} ({'swapped' if swap else 'as written'}) failed:\n{done.stderr[-4000:]}"
        )
    return json.loads(out.read_text())


def quick_runs(name: str, data: Path, workdir: Path, seeds: tuple[int, ...]) -> list[list[str]]:
    runs = []
    for seed in seeds:
        argv = [*QUICK[name], "--seed", str(seed)]
        if name != "regression":
            argv += ["--data", str(data)]
        if name == "vae":
            argv += ["--results", str(workdir / f"results_{seed}")]
        runs.append(argv)
    return runs


# --------------------------------------------------------------------------- reading results

_MNIST = re.compile(r"^Final: test loss (\S+), accuracy (\S+), (\S+) s$", re.M)
_VAE = re.compile(r"^Final: train loss (\S+), test loss (\S+), (\S+) s$", re.M)
_REGRESSION = re.compile(r"^Loss: (\S+) after (\d+) batches$", re.M)
_POLY = re.compile(r"==> (Learned|Actual) function:\ty = (.*)$", re.M)


def parse(name: str, stdout: str) -> dict[str, float]:
    """The figures a run printed: mnist loss/accuracy, vae train/test loss, regression fit."""
    if name == "mnist":
        m = _MNIST.search(stdout)
        assert m, f"no 'Final:' line in mnist's output:\n{stdout[-2000:]}"
        return {"test_loss": float(m[1]), "accuracy": float(m[2]), "seconds": float(m[3])}
    if name == "vae":
        m = _VAE.search(stdout)
        assert m, f"no 'Final:' line in vae's output:\n{stdout[-2000:]}"
        return {"train_loss": float(m[1]), "test_loss": float(m[2]), "seconds": float(m[3])}
    m = _REGRESSION.search(stdout)
    assert m, f"no 'Loss: ... after N batches' line in regression's output:\n{stdout}"
    polys = {
        kind: [float(t) for t in re.findall(r"[-+]\d+\.\d+", text)]
        for kind, text in _POLY.findall(stdout)
    }
    assert set(polys) == {"Learned", "Actual"}, stdout
    learned, actual = polys["Learned"], polys["Actual"]
    assert len(learned) == len(actual), stdout
    error = max(abs(a - b) for a, b in zip(learned, actual, strict=True))
    return {"loss": float(m[1]), "batches": int(m[2]), "max_coefficient_error": error}


def summarize(figures: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    keys = figures[0].keys()
    out = {}
    for key in keys:
        values = [f[key] for f in figures]
        out[key] = {
            "values": values,
            "mean": statistics.fmean(values),
            "median": statistics.median(values),
            "min": min(values),
            "max": max(values),
        }
    return out


# --------------------------------------------------------------------------- recording


def _measure(swap: bool, data: Path, tmp: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("mnist", "vae", "regression"):
        seeds = REGRESSION_SEEDS if name == "regression" else SEEDS
        runs = run_script(sys.executable, name, quick_runs(name, data, tmp, seeds), swap, tmp)
        out[name] = {
            "settings": " ".join(QUICK[name]),
            "seeds": list(seeds),
            "figures": summarize([parse(name, r["stdout"]) for r in runs]),
            "seconds": [r["seconds"] for r in runs],
        }
        print(name, json.dumps(out[name]["figures"]), flush=True)
    return out


def _versions() -> dict[str, str]:
    versions = {"python": sys.version.split()[0]}
    for module in ("torch", "torchvision", "numpy"):
        try:
            versions[module] = __import__(module).__version__
        except ImportError:
            pass
    return versions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="record / measure examples/pytorch_style")
    parser.add_argument("what", choices=("record", "spread", "full"))
    parser.add_argument("--swap", action="store_true", help="full: run with imports swapped")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        data = prepare_data_root(tmp / "data")
        if args.what == "full":
            for name in ("mnist", "vae", "regression"):
                argv_ = [] if name == "regression" else ["--data", str(data)]
                if name == "vae":
                    argv_ += ["--results", str(tmp / "results")]
                start = time.perf_counter()
                (run,) = run_script(sys.executable, name, [argv_], args.swap, tmp, timeout=7200)
                print(name, parse(name, run["stdout"]), f"wall {time.perf_counter() - start:.1f} s")
            return 0
        if args.what == "record":
            record = {
                "how": "tests/tutorial/scripts.py record, run with /tmp/tvenv/bin/python "
                "(PyTorch + torchvision, 1 thread): each script as written, quick settings, "
                "on the MNIST 10k subset in torchvision's layout",
                "versions": _versions(),
                "torch": _measure(False, data, tmp),
            }
        else:
            record = json.loads(REFERENCE.read_text())
            record["tinygrad_edu_spread"] = {
                "how": "tests/tutorial/scripts.py spread (imports swapped, same settings)",
                **_measure(True, data, tmp),
            }
    REFERENCE.write_text(json.dumps(record, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
