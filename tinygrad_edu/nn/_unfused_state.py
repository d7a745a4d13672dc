"""Whether the teaching view (``nn/unfused.py``) is on: the one value a fused op reads first.

``forms`` is None normally; while ``with tg.unfused():`` runs it is the module
``tinygrad_edu.nn.unfused``, and the fused entry points (``F.linear``, ``F.cross_entropy``,
``F.batch_norm``, ...) hand their call to the function of the same name there, which records
the primitives of the op's formula instead of one fused node. ``depth`` says how far: 1 takes
apart the op that was called, 2 also the fused ops its formula uses (``log_softmax`` inside
``cross_entropy``).

This module imports nothing: the forms import the fused modules' argument checks, so the fused
modules cannot import the forms back (an import cycle); they read this module instead.
"""

from __future__ import annotations

from typing import Any

forms: Any = None  # the module nn.unfused while the view is on, else None
depth = 0  # 0 while off; 1 or more while on
