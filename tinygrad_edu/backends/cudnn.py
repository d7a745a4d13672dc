"""``tg.backends.cudnn``: settable flags, as PyTorch's (``tg.backends.cudnn.deterministic =
True``); they are kept but change nothing, since there is no cuDNN here."""

enabled: bool = True
deterministic: bool = False
benchmark: bool = False
allow_tf32: bool = True


def is_available() -> bool:
    return False


def version() -> None:
    return None
