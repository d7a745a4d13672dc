"""``tinygrad_edu.utils.tensorboard``: PyTorch's ``torch.utils.tensorboard`` for our tensors.

``SummaryWriter`` writes TensorBoard event files (scalars, histograms, images and matplotlib
figures, text, the model's graph, hyperparameters, PR curves, custom-scalar layouts, raw
tensors) and the projector's embedding files through the ``tensorboard`` package itself, as
PyTorch's writer does, so ``tensorboard --logdir runs`` shows them::

    from tinygrad_edu.utils.tensorboard import SummaryWriter

    with SummaryWriter("runs/exp1") as writer:
        writer.add_graph(model, x)
        for step in range(100):
            ...
            writer.add_scalar("train/loss", loss.item(), step)

``tensorboard`` is an optional extra: ``pip install tinygrad_edu[tensorboard]``.
"""

from __future__ import annotations

INSTALL_HINT = "pip install tinygrad_edu[tensorboard]"

try:
    import tensorboard  # noqa: F401  (the event writer and protos come from it)
    from tensorboard.summary.writer.event_file_writer import EventFileWriter  # noqa: F401
except ImportError as e:
    raise ImportError(
        f"tinygrad_edu.utils.tensorboard needs the tensorboard package: {INSTALL_HINT}"
    ) from e

from ._convert import TensorBoardInputError  # noqa: E402 (after the check above)
from .writer import FileWriter, SummaryWriter, default_log_dir  # noqa: E402

__all__ = ["FileWriter", "SummaryWriter", "TensorBoardInputError", "default_log_dir"]
