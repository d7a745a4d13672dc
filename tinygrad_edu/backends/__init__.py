"""``tg.backends``: the flags and checks PyTorch scripts set or ask about (``cudnn.benchmark``,
``mps.is_available()``). Nothing here changes how tinygrad_edu computes: NumPy on the CPU is
already deterministic and has no kernels to pick."""

from . import cudnn, mps

__all__ = ["cudnn", "mps"]
