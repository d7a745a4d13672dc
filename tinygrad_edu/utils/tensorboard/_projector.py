"""``add_embedding``: the files of TensorBoard's projector (the PROJECTOR tab), as PyTorch
writes them.

Each embedding goes to ``log_dir/<step, 5 digits>/<tag, with % / \\ escaped>/``:
``tensors.tsv`` (one row per point, tab-separated), ``metadata.tsv`` (one label per point, or
a header line and columns) and ``sprite.png`` (the label images tiled into a square). The
writer's ``projector_config.pbtxt`` in ``log_dir`` lists every embedding it added.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from google.protobuf import text_format
from tensorboard.plugins.projector.projector_config_pb2 import EmbeddingInfo, ProjectorConfig

from ._convert import TensorBoardInputError, to_numpy
from ._summaries import encode_png

CONFIG_FILE = "projector_config.pbtxt"


def escape_tag(tag: str) -> str:
    """The tag as one folder name (PyTorch's ``_encode``): ``%`` -> ``%25``, ``/`` -> ``%2f``,
    ``\\`` -> ``%5c``."""
    return tag.replace("%", "%25").replace("/", "%2f").replace("\\", "%5c")


def _metadata_lines(metadata: Sequence[Any], header: Sequence[Any] | None, points: int
                    ) -> list[str]:
    if len(metadata) != points:
        raise TensorBoardInputError(
            f"add_embedding: #labels should equal with #data points ({len(metadata)} labels "
            f"for {points} points)")
    if not header:
        return [str(label) for label in metadata]
    rows = [list(header), *[list(row) for row in metadata]]
    if any(len(row) != len(rows[0]) for row in rows):
        raise TensorBoardInputError(
            "add_embedding: len of header must be equal to the number of columns in metadata "
            f"(header has {len(rows[0])}, rows have {sorted({len(r) for r in rows[1:]})})")
    return ["\t".join(str(cell) for cell in row) for row in rows]


def _sprite(images: np.ndarray) -> bytes:
    """The label images (N, C, H, W; 1 or 3 channels; floats in [0, 1]) tiled
    ceil(sqrt(N)) to a row onto a black square as wide as the rows, as PyTorch's sprite."""
    n, channels, height, width = images.shape
    if channels == 1:
        images = np.repeat(images, 3, axis=1)
    elif channels != 3:
        raise TensorBoardInputError(
            f"add_embedding: label_img needs 1 or 3 channels (N, C, H, W), got shape "
            f"{tuple(images.shape)}")
    cols = math.ceil(n ** 0.5)
    side = cols * width
    square = np.zeros((side, side, 3), dtype=np.float64)
    for i in range(n):
        r, c = divmod(i, cols)
        tile = images[i].transpose(1, 2, 0)
        bottom = min((r + 1) * height, side)  # non-square images: the square cuts them
        square[r * height:bottom, c * width:(c + 1) * width] = tile[: bottom - r * height]
    pixels = (square * 255).clip(0, 255).astype(np.uint8)
    return encode_png(pixels, "add_embedding")


def _number_text(value: Any) -> str:
    return str(value.item() if hasattr(value, "item") else value)


def write_embedding(log_dir: str, config: ProjectorConfig, mat: Any, metadata: Any,
                    label_img: Any, step: int, tag: str,
                    metadata_header: Sequence[Any] | None) -> None:
    """Write one embedding's files and add it to ``config``, then rewrite the config file."""
    if not isinstance(tag, str):
        raise TypeError(f"add_embedding: tag must be a str, got {type(tag).__name__}")
    matrix = to_numpy(mat, "add_embedding: mat")
    if matrix.ndim != 2:
        raise TensorBoardInputError(
            "add_embedding: mat should be 2D, where mat.size(0) is the number of data points; "
            f"got shape {tuple(matrix.shape)}")
    lines = None
    if metadata is not None:
        labels = list(metadata.tolist() if hasattr(metadata, "tolist") else metadata)
        lines = _metadata_lines(labels, metadata_header, matrix.shape[0])
    images = None
    if label_img is not None:
        images = to_numpy(label_img, "add_embedding: label_img").astype(np.float64)
        if images.ndim != 4 or images.shape[0] != matrix.shape[0]:
            raise TensorBoardInputError(
                f"add_embedding: #images should equal with #data points: label_img must be "
                f"(N, C, H, W) with N = {matrix.shape[0]}, got shape {tuple(images.shape)}")
    subdir = f"{str(step).zfill(5)}/{escape_tag(tag)}"
    folder = os.path.join(log_dir, subdir)
    if os.path.isdir(folder):
        print("warning: Embedding dir exists, did you set global_step for add_embedding()?")
    elif os.path.exists(folder):
        raise NotADirectoryError(f"Path: `{folder}` exists, but is a file. Cannot proceed.")
    else:
        os.makedirs(folder)
    info = EmbeddingInfo(tensor_name=f"{tag}:{str(step).zfill(5)}",
                         tensor_path=os.path.join(subdir, "tensors.tsv"))
    if lines is not None:
        _write(folder, "metadata.tsv", ("\n".join(lines) + "\n").encode("utf-8"))
        info.metadata_path = os.path.join(subdir, "metadata.tsv")
    if images is not None:
        _write(folder, "sprite.png", _sprite(images))
        info.sprite.image_path = os.path.join(subdir, "sprite.png")
        info.sprite.single_image_dim.extend([images.shape[3], images.shape[2]])  # width, height
    rows = ["\t".join(_number_text(v) for v in row) + "\n" for row in matrix]
    _write(folder, "tensors.tsv", "".join(rows).encode("utf-8"))
    config.embeddings.append(info)
    _write(log_dir, CONFIG_FILE, text_format.MessageToString(config).encode("utf-8"))


def _write(folder: str, name: str, data: bytes) -> None:
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)
