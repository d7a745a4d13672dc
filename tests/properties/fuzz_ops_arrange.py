"""The fuzzer's arrange ops (registered into ``fuzz_ops.OPS`` with its ``op`` decorator)."""

from __future__ import annotations
