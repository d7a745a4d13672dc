"""The ``Summary`` protocol buffers behind ``add_scalar``, ``add_histogram``, ``add_image``,
``add_text`` and ``add_hparams``, built with TensorBoard's own protos and plugin metadata.

Each follows what ``torch.utils.tensorboard.summary`` writes (same fields, same plugin data),
so TensorBoard shows our runs as it shows PyTorch's.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from google.protobuf import struct_pb2
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2
from tensorboard.plugins.hparams import metadata as hparams_metadata
from tensorboard.plugins.text.plugin_data_pb2 import TextPluginData

from ._convert import TensorBoardInputError, to_numpy, to_scalar

VISION_HINT = "pip install tinygrad_edu[vision]"
GRID_COLUMNS = 8  # add_images tiles a batch 8 images to a row, as PyTorch


# --------------------------------------------------------------------------- scalars


def scalar(tag: str, value: Any, new_style: bool = False,
           double_precision: bool = False) -> Summary:
    """``simple_value`` (TensorBoard's classic scalar), or with ``new_style`` a 0-d tensor
    tagged for the scalars plugin (float32, or float64 with ``double_precision``)."""
    number = to_scalar(value, f"add_scalar({tag!r})")
    if not new_style:
        return Summary(value=[Summary.Value(tag=tag, simple_value=number)])
    tensor = (TensorProto(double_val=[number], dtype="DT_DOUBLE") if double_precision
              else TensorProto(float_val=[number], dtype="DT_FLOAT"))
    meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
    return Summary(value=[Summary.Value(tag=tag, tensor=tensor, metadata=meta)])


# --------------------------------------------------------------------------- histograms


@functools.cache
def tensorflow_bins() -> tuple[float, ...]:
    """TensorFlow's default bucket edges: +-1e-12 growing by a factor 1.1 up to 1e20, and 0
    (the ``bins='tensorflow'`` of PyTorch's ``add_histogram``)."""
    positive = []
    edge = 1e-12
    while edge < 1e20:
        positive.append(edge)
        edge *= 1.1
    return tuple([-e for e in reversed(positive)] + [0.0] + positive)


def histogram(tag: str, values: Any, bins: Any = "tensorflow",
              max_bins: int | None = None) -> Summary:
    """A ``HistogramProto`` of ``values`` (any shape, flattened), as PyTorch writes it.

    ``bins``: ``'tensorflow'``, a NumPy rule (``'auto'``, ``'fd'``, ``'doane'``, ...), a
    number of bins or the edges (values outside explicit edges are counted in ``num``, ``sum``,
    ``min`` and ``max`` but in no bucket). NaN and inf are kept as PyTorch keeps them: they
    make ``min``/``max``/``sum`` NaN or inf and fall in no bucket; a rule or a bin count then
    fails as NumPy fails (``autodetected range of [1.0, inf] is not finite``). With more
    than ``max_bins`` bins, each run of ``bins // max_bins`` neighbours is merged, as PyTorch
    does (so up to about twice ``max_bins`` may remain)."""
    what = f"add_histogram({tag!r})"
    array = to_numpy(values, what).astype(np.float64).reshape(-1)
    if array.size == 0:
        raise ValueError("The input has no element.")  # PyTorch's message
    if isinstance(bins, str) and bins == "tensorflow":
        bins = tensorflow_bins()
    if max_bins is not None and (isinstance(max_bins, bool) or int(max_bins) != max_bins
                                 or max_bins < 1):
        raise ValueError(f"{what}: max_bins must be a positive integer, got {max_bins!r}")
    counts, edges = np.histogram(array, bins=bins)
    if max_bins is not None and len(counts) > max_bins:
        counts, edges = _merge_bins(counts, edges, len(counts) // int(max_bins))
    return Summary(value=[Summary.Value(tag=tag, histo=_histogram_proto(array, counts, edges))])


def histogram_raw(tag: str, min: float, max: float, num: int, sum: float,
                  sum_squares: float, bucket_limits: Any, bucket_counts: Any) -> Summary:
    """A ``HistogramProto`` of statistics and buckets computed elsewhere (``add_histogram_raw``:
    ``bucket_limits[i]`` is the right edge of bucket ``i``)."""
    limits = to_numpy(bucket_limits, f"add_histogram_raw({tag!r}): bucket_limits").reshape(-1)
    counts = to_numpy(bucket_counts, f"add_histogram_raw({tag!r}): bucket_counts").reshape(-1)
    if len(limits) != len(counts):
        raise ValueError("len(bucket_limits) != len(bucket_counts), see the document.")
    histo = HistogramProto(min=float(min), max=float(max), num=float(num), sum=float(sum),
                           sum_squares=float(sum_squares), bucket_limit=limits.tolist(),
                           bucket=counts.tolist())
    return Summary(value=[Summary.Value(tag=tag, histo=histo)])


def _merge_bins(counts: np.ndarray, edges: np.ndarray, group: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """Sum each run of ``group`` neighbouring bins (the last run padded with empty bins)."""
    padded = np.zeros(-(-len(counts) // group) * group, dtype=counts.dtype)
    padded[: len(counts)] = counts
    merged = padded.reshape(-1, group).sum(axis=1)
    merged_edges = np.append(edges[:-1:group], edges[-1])
    return merged, merged_edges


def _histogram_proto(values: np.ndarray, counts: np.ndarray, edges: np.ndarray
                     ) -> HistogramProto:
    """TensorBoard stores each bin by its right edge: keep the bins from the first to the last
    non-empty one, plus one empty bin on the left whose right edge is the leftmost limit.

    When no value falls in any bin PyTorch raises (``The histogram is empty``), except for a
    single bin, where it writes that empty bin; we do the same."""
    filled = np.flatnonzero(counts)
    first = int(filled[0]) if filled.size else len(counts)
    stop = int(filled[-1]) + 1 if filled.size else 1  # one past the last non-empty bin
    if first > 0:
        kept_counts = counts[first - 1: stop]
    else:
        kept_counts = np.concatenate([[0], counts[:stop]])
    kept_edges = edges[first: stop + 1]
    if kept_counts.size == 0 or kept_edges.size == 0:
        raise ValueError("The histogram is empty, please file a bug report.")  # PyTorch's
    return HistogramProto(min=float(values.min()), max=float(values.max()), num=len(values),
                          sum=float(values.sum()), sum_squares=float(values @ values),
                          bucket_limit=kept_edges.tolist(), bucket=kept_counts.tolist())


# --------------------------------------------------------------------------- images


def _check_dataformats(shape: tuple[int, ...], dataformats: str, what: str) -> str:
    if not isinstance(dataformats, str):
        raise TypeError(f"{what}: dataformats must be a string such as 'CHW', got "
                        f"{type(dataformats).__name__}")
    letters = dataformats.upper()
    if len(set(letters)) != len(letters):
        raise TensorBoardInputError(f"{what}: dataformats {dataformats!r} repeats a letter")
    wanted = {4: "NCHW", 3: "CHW", 2: "HW"}.get(len(letters))
    if wanted is None or set(letters) != set(wanted):
        raise TensorBoardInputError(
            f"{what}: dataformats {dataformats!r} must be an order of NCHW, CHW or HW "
            "(e.g. 'NHWC', 'HWC', 'WH')")
    if len(shape) != len(letters):
        raise TensorBoardInputError(
            f"{what}: the image has {len(shape)} dimensions, shape {shape}, but dataformats "
            f"{dataformats!r} has {len(letters)}")
    return letters


def _grid(batch: np.ndarray, what: str) -> np.ndarray:
    """(N, C, H, W) -> one (C, rows * H, cols * W) image, 8 to a row, left to right, the rest
    of the last row black; a batch of grey images becomes RGB first."""
    n, channels, height, width = batch.shape
    if channels == 1:
        batch = np.repeat(batch, 3, axis=1)
    elif channels != 3:
        raise TensorBoardInputError(
            f"{what}: images of a batch need 1 or 3 channels, got {channels} (shape "
            f"{batch.shape} in NCHW)")
    cols = min(n, GRID_COLUMNS)
    rows = -(-n // cols) if n else 0
    canvas = np.zeros((3, rows * height, cols * width), dtype=batch.dtype)
    for i in range(n):
        r, c = divmod(i, cols)
        canvas[:, r * height:(r + 1) * height, c * width:(c + 1) * width] = batch[i]
    return canvas


def to_hwc(array: np.ndarray, dataformats: str, what: str = "add_image") -> np.ndarray:
    """The image (or the batch, tiled) as height x width x channels, 1 channel made 3."""
    letters = _check_dataformats(tuple(array.shape), dataformats, what)
    if len(letters) == 4:
        return _grid(array.transpose([letters.index(c) for c in "NCHW"]), what).transpose(1, 2, 0)
    if len(letters) == 2:
        hw = array.transpose([letters.index(c) for c in "HW"])
        return np.stack([hw, hw, hw], axis=2)
    hwc = array.transpose([letters.index(c) for c in "HWC"])
    if hwc.shape[2] == 1:
        return np.concatenate([hwc, hwc, hwc], axis=2)
    if hwc.shape[2] not in (3, 4):
        raise TensorBoardInputError(
            f"{what}: an image needs 1, 3 (RGB) or 4 (RGBA) channels, got {hwc.shape[2]} "
            f"(shape {tuple(array.shape)} as {dataformats!r})")
    return hwc


def to_uint8(hwc: np.ndarray) -> np.ndarray:
    """uint8 images are kept; anything else is taken as 0..1 and scaled by 255 (then clipped
    and truncated, as PyTorch)."""
    scale = 1 if hwc.dtype == np.uint8 else 255
    return (hwc.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)


def encode_png(pixels: np.ndarray, what: str) -> bytes:
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError(f"{what} needs Pillow to encode the PNG: {VISION_HINT}") from e
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def image(tag: str, img: Any, dataformats: str, what: str = "add_image") -> Summary:
    array = to_numpy(img, f"{what}({tag!r})")
    if array.dtype == np.bool_:
        array = array.astype(np.float32)
    pixels = to_uint8(to_hwc(array, dataformats, f"{what}({tag!r})"))
    height, width, channels = pixels.shape
    if height == 0 or width == 0:
        raise TensorBoardInputError(f"{what}({tag!r}): the image is empty, shape "
                                    f"{tuple(array.shape)}")
    encoded = Summary.Image(height=height, width=width, colorspace=channels,
                            encoded_image_string=encode_png(pixels, what))
    return Summary(value=[Summary.Value(tag=tag, image=encoded)])


# --------------------------------------------------------------------------- text


def text(tag: str, text_string: str) -> Summary:
    """Markdown text for the text plugin, under ``tag + '/text_summary'`` as PyTorch."""
    if not isinstance(text_string, str):
        raise TypeError(f"add_text({tag!r}): text_string must be a str, got "
                        f"{type(text_string).__name__}")
    meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(
        plugin_name="text", content=TextPluginData(version=0).SerializeToString()))
    tensor = TensorProto(dtype="DT_STRING", string_val=[text_string.encode("utf-8")],
                         tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=1)]))
    return Summary(value=[Summary.Value(tag=tag + "/text_summary", metadata=meta,
                                        tensor=tensor)])


# --------------------------------------------------------------------------- hparams


def _hparams_summary(tag: str, **content: Any) -> Summary:
    data = plugin_data_pb2.HParamsPluginData(version=hparams_metadata.PLUGIN_DATA_VERSION,
                                             **content)
    meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(
        plugin_name=hparams_metadata.PLUGIN_NAME, content=data.SerializeToString()))
    return Summary(value=[Summary.Value(tag=tag, metadata=meta)])


def _hparam_kind(name: str, value: Any) -> tuple[str, Any]:
    """(field of ``struct_pb2.Value``, the value in it) for one hyperparameter."""
    if isinstance(value, (bool, np.bool_)):
        return "bool_value", bool(value)
    if isinstance(value, str):
        return "string_value", value
    if isinstance(value, (int, float, np.integer, np.floating)):
        return "number_value", float(value)
    if hasattr(value, "detach") or isinstance(value, np.ndarray):
        return "number_value", to_scalar(value, f"add_hparams: hparam_dict[{name!r}]")
    raise ValueError(f"add_hparams: hparam_dict[{name!r}] should be one of int, float, str, "
                     f"bool, None or a one-element tensor; got {type(value).__name__}")


_DATA_TYPES = {"bool_value": "DATA_TYPE_BOOL", "string_value": "DATA_TYPE_STRING",
               "number_value": "DATA_TYPE_FLOAT64"}


def hparams(hparam_dict: Mapping[str, Any], metric_dict: Mapping[str, Any],
            hparam_domain_discrete: Mapping[str, Sequence[Any]] | None = None
            ) -> tuple[Summary, Summary, Summary]:
    """The hparams plugin's three summaries: the experiment (which hyperparameters and
    metrics there are), the session start (this run's values) and the session end."""
    domains = dict(hparam_domain_discrete or {})
    for name, domain in domains.items():
        if (name not in hparam_dict or not isinstance(domain, list)
                or not all(isinstance(d, type(hparam_dict[name])) for d in domain)):
            raise TypeError(f"add_hparams: hparam_domain_discrete[{name!r}] should be a list "
                            f"of the same type as hparam_dict[{name!r}]")
    start = plugin_data_pb2.SessionStartInfo()
    infos = []
    for name, value in hparam_dict.items():
        if value is None:
            continue
        field, stored = _hparam_kind(name, value)
        setattr(start.hparams[name], field, stored)
        discrete = None
        if name in domains:
            discrete = struct_pb2.ListValue(
                values=[struct_pb2.Value(**{field: _hparam_kind(name, d)[1]})
                        for d in domains[name]])
        infos.append(api_pb2.HParamInfo(name=name, type=api_pb2.DataType.Value(
            _DATA_TYPES[field]), domain_discrete=discrete))
    metrics = [api_pb2.MetricInfo(name=api_pb2.MetricName(tag=name)) for name in metric_dict]
    experiment = api_pb2.Experiment(hparam_infos=infos, metric_infos=metrics)
    end = plugin_data_pb2.SessionEndInfo(status=api_pb2.Status.Value("STATUS_SUCCESS"))
    return (_hparams_summary(hparams_metadata.EXPERIMENT_TAG, experiment=experiment),
            _hparams_summary(hparams_metadata.SESSION_START_INFO_TAG, session_start_info=start),
            _hparams_summary(hparams_metadata.SESSION_END_INFO_TAG, session_end_info=end))
