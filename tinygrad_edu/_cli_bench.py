"""The options of ``tinygrad-edu bench``, shared with ``benchmarks/bench_step.py`` (which
parses the same ones; ``cli.cmd_bench`` hands them over with :func:`bench_argv`)."""

from __future__ import annotations

import argparse

from . import bench
from ._cli_types import positive_int, thread_counts


def _model_list(text: str) -> tuple[str, ...]:
    keys = tuple(k.strip().upper() for k in text.split(",") if k.strip())
    unknown = [k for k in keys if k not in bench.MODELS]
    if not keys or unknown:
        raise argparse.ArgumentTypeError(f"unknown model(s) {', '.join(unknown) or repr(text)}; "
                                         f"choose from {','.join(bench.MODELS)}")
    return keys


#: Where ``tinygrad-edu bench`` writes, relative to the current directory: the user's, never the
#: committed ``benchmarks/results/`` of the source checkout.
DEFAULT_BENCH_OUT = "bench-results"


def add_bench_arguments(parser: argparse.ArgumentParser,
                        default_out: str = DEFAULT_BENCH_OUT) -> None:
    """The step benchmark's options: ``tinygrad-edu bench`` checks them, then hands them
    (:func:`bench_argv`) to ``benchmarks/bench_step.py``, which parses the same ones."""
    parser.add_argument("--quick", action="store_true",
                        help="2 rounds x 2 steps, 20 steps for memory: a smoke test that still "
                        "checks the losses and writes every file")
    parser.add_argument("--rounds", type=positive_int, default=None,
                        help="timing rounds (default 31, quick 2)")
    parser.add_argument("--threads", type=thread_counts, default=(1, 2),
                        help="thread counts, each in its own process (default 1,2)")
    parser.add_argument("--models", type=_model_list, default=tuple(bench.MODELS),
                        help="models to run, e.g. A,C (default all; " + "; ".join(
                            f"{k}: {s.title}" for k, s in bench.MODELS.items()) + ")")
    parser.add_argument("--no-torch", dest="use_torch", action="store_false",
                        help="leave PyTorch out even if it is installed")
    parser.add_argument("--out", default=default_out,
                        help=f"directory for bench_step.json/.md/.png (default {default_out})")


def bench_argv(args: argparse.Namespace) -> list[str]:
    """The command line that :func:`add_bench_arguments` parses back into ``args``."""
    argv = ["--threads", ",".join(map(str, args.threads)), "--models", ",".join(args.models),
            "--out", str(args.out)]
    if args.quick:
        argv.append("--quick")
    if args.rounds is not None:
        argv += ["--rounds", str(args.rounds)]
    if not args.use_torch:
        argv.append("--no-torch")
    return argv
