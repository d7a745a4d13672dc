"""The differential fuzzer's summary: programs run, ops exercised and mismatch classes, added
up over every ``test_differential_fuzz`` test (also across pytest-xdist workers: each test
reports its counts as a ``record_property``, which the workers send to the controller)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

_STATS: list[dict[str, Any]] = []


def pytest_runtest_logreport(report: Any) -> None:
    if report.when != "call":
        return
    for name, value in getattr(report, "user_properties", ()):
        if name == "fuzz_stats":
            _STATS.append(json.loads(value))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _STATS:
        return
    programs = sum(s["programs"] for s in _STATS)
    ops: Counter[str] = Counter()
    classes: dict[str, dict[str, Any]] = {}
    for s in _STATS:
        ops.update(s["ops"])
        for key, entry in s["classes"].items():
            seen = classes.setdefault(key, {"count": 0, "tests": []})
            seen["count"] += entry["count"]
            seen["tests"].append(s["test"])
            if len(entry["program"]) < len(seen.get("program", entry["program"] + "x")):
                seen["program"], seen["message"] = entry["program"], entry["message"]
    write = terminalreporter.write_line
    terminalreporter.section("differential fuzzer (tinygrad_edu vs PyTorch)")
    write(f"programs run: {programs} in {len(_STATS)} tests; op steps: {sum(ops.values())}")
    write("ops exercised: " + ", ".join(f"{name} {n}" for name, n in sorted(ops.items())))
    write(f"mismatch classes: {len(classes)} "
          f"(in {sum(c['count'] for c in classes.values())} program checks)")
    for key, seen in sorted(classes.items()):
        write(f"  {seen['count']:6d}  {key}   [{len(seen['tests'])} tests]")
