"""Shared by the TensorBoard tests: optional packages (skipped locally, required under CI) and
reading a run back with TensorBoard's own reader."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


def need(module: str, hint: str) -> ModuleType:
    """Import ``module``; without it skip the test module (locally) or fail (under CI)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if in_ci():
            raise
        pytest.skip(f"{module} is not installed ({hint})", allow_module_level=True)


def read(run: str | Path) -> Any:
    """An EventAccumulator over the run's folder with nothing sampled away, loaded."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run), size_guidance={"scalars": 0, "histograms": 0,
                                                    "images": 0, "tensors": 0})
    acc.Reload()
    return acc


def scalars(run: str | Path, tag: str) -> list[tuple[int, float]]:
    return [(e.step, e.value) for e in read(run).Scalars(tag)]
