"""``SummaryWriter``: PyTorch's ``torch.utils.tensorboard.SummaryWriter`` for our tensors.

Events go to disk through TensorBoard's own ``EventFileWriter`` (a background thread that
writes the record format, ``max_queue`` events at a time or every ``flush_secs`` seconds), so
``tensorboard --logdir`` reads them as it reads PyTorch's. Values may be our Tensors, NumPy
arrays, torch tensors or Python numbers wherever PyTorch takes a tensor.
"""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from tensorboard.compat.proto.event_pb2 import Event, SessionLog, TaggedRunMetadata
from tensorboard.compat.proto.summary_pb2 import Summary
from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from . import _graph, _plugins, _projector, _summaries

__all__ = ["FileWriter", "SummaryWriter", "default_log_dir"]

# PyTorch's SummaryWriter methods we do not write, and what they log
NOT_WRITTEN = {
    "add_video": "videos (PyTorch encodes them as GIFs with moviepy)",
    "add_audio": "audio clips",
    "add_mesh": "3D meshes and point clouds (the mesh plugin)",
    "add_onnx_graph": "ONNX graphs",
    "add_image_with_boxes": "images with bounding boxes drawn on them",
}

PathLike = str | os.PathLike[str]


def default_log_dir(out: PathLike | None = None, comment: str = "") -> Path:
    """Where a run's events go.

    Without ``out``: PyTorch's default, ``runs/<Mon><DD>_<HH>-<MM>-<SS>_<hostname><comment>``
    (``runs/May04_22-14-54_myhost`` + comment), new for each run. With ``out`` (an output
    folder such as ``tinygrad-edu train --out``): ``out/tensorboard``, so a resumed run keeps
    writing into the same run.
    """
    if out is not None:
        return Path(out) / "tensorboard"
    stamp = datetime.now().strftime("%b%d_%H-%M-%S")
    return Path("runs") / f"{stamp}_{socket.gethostname()}{comment}"


def _step(global_step: Any) -> int | None:
    if global_step is None:
        return None
    if hasattr(global_step, "item"):  # a 0-d tensor or NumPy integer
        global_step = global_step.item()
    if isinstance(global_step, bool) or int(global_step) != global_step:
        raise TypeError(f"global_step must be an integer, got {global_step!r}")
    return int(global_step)


def _not_written(method: str) -> None:
    raise NotImplementedError(
        f"SummaryWriter.{method}: tinygrad_edu does not write {NOT_WRITTEN[method]}; "
        "PyTorch's torch.utils.tensorboard.SummaryWriter does (log to a run of its own with "
        "it, TensorBoard reads both)")


class FileWriter:
    """One event file in ``log_dir`` (PyTorch's ``FileWriter``): adds ``Event`` protos with a
    wall time and step."""

    def __init__(self, log_dir: PathLike, max_queue: int = 10, flush_secs: float = 120,
                 filename_suffix: str = "") -> None:
        self.event_writer = EventFileWriter(str(log_dir), max_queue, flush_secs,
                                            filename_suffix)

    def get_logdir(self) -> str:
        return str(self.event_writer.get_logdir())

    def add_event(self, event: Event, step: Any = None, walltime: float | None = None) -> None:
        event.wall_time = time.time() if walltime is None else float(walltime)
        step = _step(step)
        if step is not None:
            event.step = step
        self.event_writer.add_event(event)

    def add_summary(self, summary: Summary, global_step: Any = None,
                    walltime: float | None = None) -> None:
        self.add_event(Event(summary=summary), global_step, walltime)

    def add_graph(self, graph_profile: tuple[Any, Any], walltime: float | None = None) -> None:
        graph_def, run_metadata = graph_profile
        self.add_event(Event(graph_def=graph_def.SerializeToString()), None, walltime)
        tagged = TaggedRunMetadata(tag="step1", run_metadata=run_metadata.SerializeToString())
        self.add_event(Event(tagged_run_metadata=tagged), None, walltime)

    def flush(self) -> None:
        self.event_writer.flush()

    def close(self) -> None:
        self.event_writer.close()

    def reopen(self) -> None:
        self.event_writer.reopen()


class SummaryWriter:
    """Writes scalars, histograms, images and figures, text, raw tensors, the model's graph,
    hyperparameters, precision-recall curves, custom-scalar layouts and embeddings (the
    projector's files) into ``log_dir`` for TensorBoard (``tensorboard --logdir runs``).
    PyTorch's ``add_video``, ``add_audio``, ``add_mesh``, ``add_onnx_graph`` and
    ``add_image_with_boxes`` raise ``NotImplementedError``.

    ``log_dir``: the run's folder (default ``default_log_dir()``: ``runs/<date>_<host>`` +
    ``comment``). ``purge_step``: a run that crashed at step T+X and restarts at T passes
    ``purge_step=T``; events at steps >= T are hidden. ``max_queue`` events are buffered, or
    ``flush_secs`` seconds, before they are written; ``filename_suffix`` ends the event
    file's name. Also a context manager (closes on exit).
    """

    def __init__(self, log_dir: PathLike | None = None, comment: str = "",
                 purge_step: int | None = None, max_queue: int = 10, flush_secs: float = 120,
                 filename_suffix: str = "") -> None:
        if not log_dir:
            log_dir = str(default_log_dir(comment=comment))
        self.log_dir = log_dir
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer: FileWriter | None = None
        self.all_writers: dict[str, FileWriter] | None = None
        self._projector_config = ProjectorConfig()  # every embedding added, rewritten each time
        self._get_file_writer()

    def _get_file_writer(self) -> FileWriter:
        """The writer of ``log_dir``, made again (a new event file) after ``close()``."""
        if self.file_writer is None or self.all_writers is None:
            self.file_writer = FileWriter(self.log_dir, self.max_queue, self.flush_secs,
                                          self.filename_suffix)
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
            if self.purge_step is not None:  # TensorBoard hides what came after this step
                step = _step(self.purge_step)
                self.file_writer.add_event(Event(file_version="brain.Event:2"), step)
                self.file_writer.add_event(
                    Event(session_log=SessionLog(status=SessionLog.START)), step)
                self.purge_step = None
        return self.file_writer

    def get_logdir(self) -> PathLike:
        """The folder the event files are written to."""
        return self.log_dir

    # ----------------------------------------------------------------------- scalars

    def add_scalar(self, tag: str, scalar_value: Any, global_step: int | None = None,
                   walltime: float | None = None, new_style: bool = False,
                   double_precision: bool = False) -> None:
        """One value (a number or a one-element tensor) at ``global_step``. ``new_style``
        writes it as a tensor for the scalars plugin (float64 with ``double_precision``)."""
        summary = _summaries.scalar(tag, scalar_value, new_style, double_precision)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict[str, Any],
                    global_step: int | None = None, walltime: float | None = None) -> None:
        """Several curves on one chart: each ``tag`` is its own run,
        ``log_dir/<main_tag with / as _>_<tag>``, holding the scalar ``main_tag``."""
        if not isinstance(tag_scalar_dict, dict):
            raise TypeError(f"add_scalars: tag_scalar_dict must be a dict, got "
                            f"{type(tag_scalar_dict).__name__}")
        walltime = time.time() if walltime is None else walltime
        root = self._get_file_writer().get_logdir()
        assert self.all_writers is not None
        for tag, value in tag_scalar_dict.items():
            run = f"{root}/{main_tag.replace('/', '_')}_{tag}"
            writer = self.all_writers.get(run)
            if writer is None:
                writer = self.all_writers[run] = FileWriter(run, self.max_queue, self.flush_secs,
                                                            self.filename_suffix)
            writer.add_summary(_summaries.scalar(main_tag, value), global_step, walltime)

    # ----------------------------------------------------------------------- histograms

    def add_histogram(self, tag: str, values: Any, global_step: int | None = None,
                      bins: Any = "tensorflow", walltime: float | None = None,
                      max_bins: int | None = None) -> None:
        """A histogram of ``values`` (any shape). ``bins``: ``'tensorflow'`` (TensorFlow's
        exponential buckets), a NumPy rule (``'auto'``, ``'fd'``, ``'sturges'``, ...), a count
        or the edges; past ``max_bins`` bins, runs of ``bins // max_bins`` are merged (as
        PyTorch: up to about twice ``max_bins`` remain). Values must be finite."""
        summary = _summaries.histogram(tag, values, bins, max_bins)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_histogram_raw(self, tag: str, min: float, max: float, num: int, sum: float,
                          sum_squares: float, bucket_limits: Any, bucket_counts: Any,
                          global_step: int | None = None, walltime: float | None = None
                          ) -> None:
        """A histogram computed elsewhere: its statistics and buckets (``bucket_limits[i]``
        is the right edge of bucket ``i``; as many limits as counts)."""
        summary = _summaries.histogram_raw(tag, min, max, num, sum, sum_squares,
                                           bucket_limits, bucket_counts)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    # ----------------------------------------------------------------------- images

    def add_image(self, tag: str, img_tensor: Any, global_step: int | None = None,
                  walltime: float | None = None, dataformats: str = "CHW") -> None:
        """One image: ``dataformats`` ``'CHW'`` (default), ``'HWC'``, ``'HW'`` (or another
        order of those letters); 1, 3 or 4 channels; floats in [0, 1] or uint8 in [0, 255].
        Needs Pillow (``pip install tinygrad_edu[vision]``) for the PNG."""
        summary = _summaries.image(tag, img_tensor, dataformats, "add_image")
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_images(self, tag: str, img_tensor: Any, global_step: int | None = None,
                   walltime: float | None = None, dataformats: str = "NCHW") -> None:
        """A batch of images (``'NCHW'`` default, or ``'NHWC'``), tiled 8 to a row into one
        image as PyTorch does; 1 or 3 channels."""
        summary = _summaries.image(tag, img_tensor, dataformats, "add_images")
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_figure(self, tag: str, figure: Any, global_step: int | None = None,
                   close: bool = True, walltime: float | None = None) -> None:
        """A matplotlib figure as an image (a list of figures: tiled, as ``add_images``);
        ``close`` closes the figures after drawing them. Needs matplotlib
        (``pip install tinygrad_edu[plot]``) and Pillow."""
        pixels = _plugins.figure_to_image(figure, close)
        if isinstance(figure, list):
            self.add_images(tag, pixels, global_step, walltime, dataformats="NCHW")
        else:
            self.add_image(tag, pixels, global_step, walltime, dataformats="CHW")

    # ----------------------------------------------------------------------- text

    def add_text(self, tag: str, text_string: str, global_step: int | None = None,
                 walltime: float | None = None) -> None:
        """Markdown text (TensorBoard's text tab), under ``tag + '/text_summary'``."""
        summary = _summaries.text(tag, text_string)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_tensor(self, tag: str, tensor: Any, global_step: int | None = None,
                   walltime: float | None = None) -> None:
        """The whole tensor (its values, dtype and shape) for the tensor plugin."""
        summary = _plugins.tensor_summary(tag, tensor)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    # ----------------------------------------------------------------------- graph

    def add_graph(self, model: Any, input_to_model: Any = None, verbose: bool = False,
                  use_strict_trace: bool = True) -> None:
        """Run ``model(input_to_model)`` once (in eval mode; a tuple or list is several
        arguments) and write the graph autograd recorded, grouped by module, for TensorBoard's
        graph tab. ``verbose`` prints its nodes. ``use_strict_trace`` is PyTorch's tracer
        option, accepted for compatibility (there is no tracer here)."""
        del use_strict_trace
        self._get_file_writer().add_graph(_graph.graph(model, input_to_model, verbose))

    # ----------------------------------------------------------------------- hparams

    def add_hparams(self, hparam_dict: dict[str, Any], metric_dict: dict[str, Any],
                    hparam_domain_discrete: dict[str, list[Any]] | None = None,
                    run_name: str | None = None, global_step: int | None = None) -> None:
        """Hyperparameters and the metrics they gave, for TensorBoard's HPARAMS tab: written
        into a sub-run ``log_dir/<run_name>`` (default: the current time), with each metric
        also as a scalar there. Values: bool, str, int, float (or a one-element tensor);
        ``None`` is skipped. ``hparam_domain_discrete``: the values each one may take."""
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        if hparam_domain_discrete is not None and not isinstance(hparam_domain_discrete, dict):
            raise TypeError("add_hparams: hparam_domain_discrete should be a dictionary")
        summaries = _summaries.hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        for name, value in metric_dict.items():  # checked before anything is written
            _summaries.scalar(name, value)
        run = os.path.join(self._get_file_writer().get_logdir(), run_name or str(time.time()))
        with SummaryWriter(log_dir=run) as sub:
            for summary in summaries:
                sub._get_file_writer().add_summary(summary, global_step)
            for name, value in metric_dict.items():
                sub.add_scalar(name, value, global_step)

    # ----------------------------------------------------------------------- other plugins

    def add_pr_curve(self, tag: str, labels: Any, predictions: Any,
                     global_step: int | None = None, num_thresholds: int = 127,
                     weights: Any = None, walltime: float | None = None) -> None:
        """A precision-recall curve (the PR CURVES tab): ``labels`` 1/True for positives,
        ``predictions`` probabilities in [0, 1] of the same shape, counted at
        ``num_thresholds`` (at most 127) thresholds."""
        summary = _plugins.pr_curve(tag, labels, predictions, num_thresholds, weights)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_pr_curve_raw(self, tag: str, true_positive_counts: Any,
                         false_positive_counts: Any, true_negative_counts: Any,
                         false_negative_counts: Any, precision: Any, recall: Any,
                         global_step: int | None = None, num_thresholds: int = 127,
                         weights: Any = None, walltime: float | None = None) -> None:
        """A precision-recall curve from counts computed elsewhere, one entry per threshold.
        ``weights`` is accepted and unused, as in PyTorch."""
        del weights
        summary = _plugins.pr_curve_raw(tag, true_positive_counts, false_positive_counts,
                                        true_negative_counts, false_negative_counts,
                                        precision, recall, num_thresholds)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_custom_scalars(self, layout: dict[str, dict[str, list[Any]]]) -> None:
        """The CUSTOM SCALARS tab's layout: ``{category: {chart title: ['Multiline', tags]
        or ['Margin', [value, lower, upper]]}}``, tags being scalar tags (or regexes)."""
        self._get_file_writer().add_summary(_plugins.custom_scalars(layout))

    def add_custom_scalars_multilinechart(self, tags: list[str], category: str = "default",
                                          title: str = "untitled") -> None:
        """One chart of several scalar tags in the CUSTOM SCALARS tab."""
        self.add_custom_scalars({category: {title: ["Multiline", tags]}})

    def add_custom_scalars_marginchart(self, tags: list[str], category: str = "default",
                                       title: str = "untitled") -> None:
        """One chart of a value and its lower and upper bounds: three scalar tags."""
        if len(tags) != 3:
            raise _summaries.TensorBoardInputError(f"Expected 3 tags, got {len(tags)}.")
        self.add_custom_scalars({category: {title: ["Margin", tags]}})

    def add_embedding(self, mat: Any, metadata: Any = None, label_img: Any = None,
                      global_step: int | None = None, tag: str = "default",
                      metadata_header: list[Any] | None = None) -> None:
        """Points (``mat``, N x D) for the PROJECTOR tab, with a label per point
        (``metadata``; rows of columns with ``metadata_header``) and an image per point
        (``label_img``, N x C x H x W in [0, 1]). Written as PyTorch writes them: files in
        ``log_dir/<step:05d>/<tag>/`` and ``log_dir/projector_config.pbtxt``."""
        step = _step(global_step)
        _projector.write_embedding(str(self._get_file_writer().get_logdir()),
                                   self._projector_config, mat, metadata, label_img,
                                   0 if step is None else step, tag, metadata_header)

    def add_video(self, *args: Any, **kwargs: Any) -> None:
        """Not written by tinygrad_edu (raises ``NotImplementedError``)."""
        _not_written("add_video")

    def add_audio(self, *args: Any, **kwargs: Any) -> None:
        """Not written by tinygrad_edu (raises ``NotImplementedError``)."""
        _not_written("add_audio")

    def add_mesh(self, *args: Any, **kwargs: Any) -> None:
        """Not written by tinygrad_edu (raises ``NotImplementedError``)."""
        _not_written("add_mesh")

    def add_onnx_graph(self, *args: Any, **kwargs: Any) -> None:
        """Not written by tinygrad_edu (raises ``NotImplementedError``)."""
        _not_written("add_onnx_graph")

    def add_image_with_boxes(self, *args: Any, **kwargs: Any) -> None:
        """Not written by tinygrad_edu (raises ``NotImplementedError``)."""
        _not_written("add_image_with_boxes")

    # ----------------------------------------------------------------------- lifetime

    def flush(self) -> None:
        """Write every pending event of every run of this writer to disk."""
        for writer in (self.all_writers or {}).values():
            writer.flush()

    def close(self) -> None:
        """Flush and close the event files (again is a no-op; adding more starts new ones)."""
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.flush()
            writer.close()
        self.file_writer = self.all_writers = None

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SummaryWriter(log_dir={str(self.log_dir)!r})"
