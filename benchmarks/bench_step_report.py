"""The step benchmark's report: ``bench_step.json``, ``.md`` and ``.png`` from its results.

Everything is drawn from the report itself (targets included, as ``bench_step.run`` stores
them), so an old ``bench_step.json`` renders again without rerunning. Split from
``bench_step.py``, which re-exports :func:`write_outputs`, :func:`render_markdown` and
:func:`render_png`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tinygrad_edu.bench import MODELS, ModelSpec

__all__ = ["render_markdown", "render_png", "write_outputs"]


def write_outputs(report: Mapping[str, Any], out: Path) -> list[Path]:
    """``bench_step.json``, ``bench_step.md`` and (with matplotlib) ``bench_step.png``."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "bench_step.json", out / "bench_step.md"]
    written[0].write_text(json.dumps(report, indent=1) + "\n")
    written[1].write_text(render_markdown(report))
    png = out / "bench_step.png"
    if render_png(report, png):
        written.append(png)
    else:
        print("(matplotlib is not installed: bench_step.png skipped; "
              "pip install tinygrad_edu[plot])")
    return written


def _us(stats: Mapping[str, float] | None) -> str:
    if stats is None:
        return "n/a"
    digits = 0 if stats["median"] >= 100 else 1 if stats["median"] >= 10 else 2
    return f"{stats['median']:.{digits}f} ({stats['min']:.{digits}f}–{stats['max']:.{digits}f})"


def _ratio_text(value: float, target: float | None) -> str:
    """The ratio with two decimals, or three where two would print a miss as the target."""
    digits = 3 if target is not None and round(value, 2) == target and value > target else 2
    return f"{value:.{digits}f}"


def _verdict(value: float | None, target: float | None) -> str:
    if value is None:
        return "n/a"
    if target is None:  # no target: the ratio alone
        return f"{value:.2f}"
    return f"{_ratio_text(value, target)} {'✓' if value <= target else '✗'} (≤ {target:g})"


def render_markdown(report: Mapping[str, Any]) -> str:
    """The results as markdown tables: one per thread count, then ``a + b`` and memory."""
    m = report["machine"]
    settings = report["settings"]
    add_target, rss_target = report["targets"]["add_us"], report["targets"]["rss_peak_ours/closed"]
    lines = ["# Training-step benchmark", ""]
    if settings["quick"]:
        lines += ["**Quick mode: a smoke test of the benchmark; the numbers mean nothing.**", ""]
    lines += [
        f"{m['cpu']}, {m['cores']} cores; Python {m['python']}, NumPy {m['numpy']} "
        f"({m['blas']}), PyTorch {m['torch'] or 'not installed'}, "
        f"JAX {m.get('jax') or 'not installed'}, tinygrad_edu {m['tinygrad_edu']}"
        f"{'' if m.get('compile') else ' (no tg.compile)'}; {m['date']}.",
        "",
        "Microseconds per training step: median (min–max) over "
        f"{settings['rounds']} rounds, the implementations interleaved in one process per "
        "thread count. Ratios are medians of the per-round ratios; ✓ / ✗: target met or not. "
        "*ours* = tinygrad_edu, *closed* = the hand-derived NumPy step of "
        "`tinygrad_edu.reference`, *torch* = PyTorch, *compiled* = our step under "
        "`tinygrad_edu.compile`, *jax* = the step in JAX under `jax.jit` "
        "(`benchmarks/jax_steps.py`).",
        "",
    ]
    if not m.get("jax"):
        lines += ["jax: not installed (`pip install jax` in the benchmark's environment adds "
                  "its column).", ""]
    if not m.get("compile"):
        lines += ["compiled: this tinygrad_edu has no `compile` (its columns say n/a).", ""]
    for threads, result in report["threads"].items():
        lines += [f"## {threads} thread{'s' if threads != '1' else ''}", ""]
        others = result.get("others_cores")
        if others is not None:
            busy = others > 0.2
            lines += [f"{'**Warning: busy machine.** ' if busy else ''}Other processes used "
                      f"{others:.2f} cores on average while this was measured"
                      + (" (timings disturbed, above all with 2 BLAS threads on 2 cores)."
                         if busy else "."), ""]
        if result.get("settle_seconds"):
            lines += [f"Each sample follows a {result['settle_seconds']:g} s pause, so that the "
                      "thread pool of the previous contender (OpenBLAS or PyTorch's OpenMP) "
                      "has stopped spinning (see `run_timing` in `benchmarks/bench_step.py`).", ""]
        lines += ["| model | ours µs | compiled µs | closed µs | torch µs | jax µs | ours/closed "
                  "| compiled/closed | ours/torch | torch/closed |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for key, model in result["models"].items():
            spec, most = MODELS[key], report["models"][key]
            us = model["us"]
            lines.append(
                f"| {key}: {spec.title} | {_us(us['tinygrad_edu'])} | {_us(us.get('compiled'))} | "
                f"{_us(us['closed_form'])} | {_us(us.get('torch'))} | {_us(us.get('jax'))} | "
                f"{_verdict(_median(model, 'ours/closed'), most['max_vs_closed'])} | "
                f"{_verdict(_median(model, 'compiled/closed'), most.get('max_compiled_vs_closed'))}"
                f" | {_verdict(_median(model, 'ours/torch'), most['max_vs_torch'])} | "
                f"{_verdict(_median(model, 'torch/closed'), None)} |")
        lines.append("")
        lines += _jax_table(result)

    lines += ["## Overhead of one op: `a + b` with grad, 10 floats", "",
              "| threads | ours µs | NumPy µs (no grad) | torch µs | ours ≤ "
              f"{add_target:g} µs |", "|---|---:|---:|---:|---:|"]
    for threads, result in report["threads"].items():
        us = result["add"]["us"]
        ours = us["tinygrad_edu"]["median"]
        lines.append(f"| {threads} | {_us(us['tinygrad_edu'])} | {_us(us['numpy'])} | "
                     f"{_us(us.get('torch'))} | {'✓' if ours <= add_target else '✗'} |")
    lines.append("")

    rss = report.get("rss")
    if rss:
        lines += [f"## Peak memory: {rss['steps']:,} steps of model {rss['model']}", "",
                  f"Each implementation alone in a fresh process, {rss['threads']} thread; "
                  "*after setup* is the resident memory once imports, batch and model exist; "
                  "*peak* is the highest resident memory during the steps.", "",
                  "| implementation | after setup MiB | peak MiB | growth MiB | peak / closed "
                  "| growth / closed |",
                  "|---|---:|---:|---:|---:|---:|"]
        closed = rss["implementations"]["closed_form"]
        for impl, r in rss["implementations"].items():
            if "skipped" in r:
                continue
            ratio = r["peak_kib"] / closed["peak_kib"]
            verdict = (f"{ratio:.2f} {'✓' if ratio <= rss_target else '✗'} (≤ {rss_target:g})"
                       if impl == "tinygrad_edu" else f"{ratio:.2f}")
            growth = ("n/a" if r["growth_kib"] is None or not closed["growth_kib"]
                      else f"{r['growth_kib'] / closed['growth_kib']:.1f}")
            lines.append(f"| {impl} | {_mib(r['setup_kib'])} | {_mib(r['peak_kib'])} | "
                         f"{_mib(r['growth_kib'])} | {verdict} | {growth} |")
        method = rss["implementations"]["closed_form"]["method"]
        lines += ["", f"(peak from {method})", ""]

    summary = report.get("summary")
    if summary:
        total = sum(1 for r in summary["targets"] if r["met"] is not None)
        lines += [f"Targets met: {summary['met']} of {total}."
                  + (f" Not met: {', '.join(summary['not_met'])}." if summary["not_met"] else ""),
                  ""]
    check_steps = settings["check_steps"]
    lines += [f"Loss check: before timing, every implementation ran {check_steps} steps from the "
              f"same initial weights on the same batch; all loss sequences agree with the "
              f"closed form's within rtol {settings['loss_rtol']:g} (losses in "
              "`bench_step.json`).", ""]
    return "\n".join(lines)


def _median(model: Mapping[str, Any], ratio: str) -> float | None:
    """A model's median per-round ratio, ``None`` when one side was not measured."""
    stats = model["ratios"].get(ratio)
    return None if stats is None else float(stats["median"])


def _jax_table(result: Mapping[str, Any]) -> list[str]:
    """Against JAX's ``jax.jit``, and the cost of the first calls of the compiled steps."""
    models = result["models"]
    lines: list[str] = []
    if any("jax" in model["us"] for model in models.values()):
        lines += ["Against JAX's `jax.jit` (the same steps, batch and initial weights; the "
                  "step waits for its loss):", "",
                  "| model | compiled/jax | ours/jax | jax/closed |", "|---|---:|---:|---:|"]
        for key, model in models.items():
            lines.append(f"| {key} | {_verdict(_median(model, 'compiled/jax'), None)} | "
                         f"{_verdict(_median(model, 'ours/jax'), None)} | "
                         f"{_verdict(_median(model, 'jax/closed'), None)} |")
        lines.append("")
    first = {key: model.get("first_calls_us", {}) for key, model in models.items()}
    shown = [name for name in ("compiled", "jax", "tinygrad_edu", "closed_form")
             if any(name in calls for calls in first.values())]
    if any(name in shown for name in ("compiled", "jax")):
        lines += ["First calls of a fresh step, µs (call 1, 2, 3: `tg.compile` traces on the "
                  "first two calls and replays from the third; `jax.jit` compiles on the first):",
                  "", "| model | " + " | ".join(shown) + " |",
                  "|---|" + "---:|" * len(shown)]
        for key, calls in first.items():
            cells = [" / ".join(_short_us(t) for t in calls[name]) if name in calls else "n/a"
                     for name in shown]
            lines.append(f"| {key} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def _short_us(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _mib(kib: int | None) -> str:
    return "n/a" if kib is None else f"{kib / 1024:.1f}"


def render_png(report: Mapping[str, Any], path: Path) -> bool:
    """Bar chart of ours/closed and ours/torch per model and thread count, targets marked.

    Returns ``False`` (and draws nothing) when matplotlib is not installed.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        return False

    thread_counts = list(report["threads"])
    models = list(report["models"])
    panels = [("ours/closed", "tinygrad_edu / closed-form NumPy", "max_vs_closed")]
    if report["machine"].get("compile"):
        panels.append(("compiled/closed", "tg.compile'd / closed-form NumPy",
                       "max_compiled_vs_closed"))
    if report["machine"]["torch"]:
        panels.append(("ours/torch", "tinygrad_edu / PyTorch", "max_vs_torch"))
    colors = ["#4C72B0", "#DD8452", "#55A868", "#C44E52"]
    width = 0.8 / len(thread_counts)

    fig, axes = plt.subplots(1, len(panels), figsize=(5.6 * len(panels), 4.4), squeeze=False)
    for ax, (ratio, title, target_field) in zip(axes[0], panels, strict=True):
        # a model without a target for this ratio (G against PyTorch) draws no target line
        targets = [report["models"][key].get(target_field) for key in models]
        known = [t for t in targets if t is not None] or [1.0]
        per_threads = {t: [report["threads"][t]["models"][key]["ratios"][ratio] for key in models]
                       for t in thread_counts}
        highest = max(r["median"] for rs in per_threads.values() for r in rs)
        # One very slow configuration must not flatten the others: cap the axis at 2.5x the
        # largest target and print the true value of a clipped bar.
        top = min(max(highest, *known) * 1.2, max(known) * 2.5)
        for t_index, (threads, ratios) in enumerate(per_threads.items()):
            offsets = [i - 0.4 + width * (t_index + 0.5) for i in range(len(models))]
            values = [r["median"] for r in ratios]
            whiskers = [[v - r["q1"] for v, r in zip(values, ratios, strict=True)],
                        [r["q3"] - v for v, r in zip(values, ratios, strict=True)]]
            ax.bar(offsets, values, width * 0.92, color=colors[t_index % len(colors)],
                   label=f"{threads} thread{'s' if threads != '1' else ''}", yerr=whiskers,
                   error_kw={"elinewidth": 0.7, "capsize": 2, "ecolor": "#666666"})
            for x, v, target in zip(offsets, values, targets, strict=True):  # value in its bar
                clipped = v > top
                label = _ratio_text(v, target) + ("\n↑" if clipped else "")
                ax.text(x, top * 0.9 if clipped else v / 2, label,
                        ha="center", va="center", fontsize=7.5, color="white",
                        fontweight="bold")
        for i, target in enumerate(targets):
            if target is None:
                continue
            ax.hlines(target, i - 0.45, i + 0.45, colors="#C00000", linestyles="--",
                      linewidth=1.6, label="target (at most)" if i == 0 else None, zorder=3)
        ax.axhline(1.0, color="#999999", linewidth=0.8, zorder=0)
        ax.set_xticks(range(len(models)))
        ax.set_xticklabels([f"{key}\n{_short(MODELS[key])}" for key in models], fontsize=8)
        ax.set_ylabel("step time ratio, median of rounds (lower is better)")
        ax.set_title(title, fontsize=10.5)
        ax.set_ylim(0, top)
        ax.grid(axis="y", alpha=0.3)
    m = report["machine"]
    caption = (f"Training step time ratios: median over rounds (whiskers: quartiles); "
               f"{m['cpu']}, {m['cores']} cores")
    if report["settings"]["quick"]:
        caption = "QUICK MODE (numbers mean nothing) - " + caption
    fig.suptitle(caption, fontsize=10)
    handles, labels = axes[0][0].get_legend_handles_labels()  # below the panels: covers no bar
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8.5, frameon=False)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def _short(spec: ModelSpec) -> str:
    """``784-512-10`` over ``Adam``: a tick label narrow enough for five models side by side."""
    net = {"cnn": "CNN", "mlp_bn": "-".join(str(s) for s in spec.sizes) + "\nBN"}.get(
        spec.kind, "-".join(str(s) for s in spec.sizes))
    return f"{net}\n{'Adam' if spec.optimizer == 'adam' else 'SGD'}"
