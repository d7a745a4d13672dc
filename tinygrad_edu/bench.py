"""The benchmarked training step, built three ways from the same batch and initial weights.

* ``tinygrad_edu``: as a user writes it -- ``nn.Sequential`` of ``nn.Linear`` and activations,
  ``F.cross_entropy`` (or ``F.mse_loss``), ``optim.SGD`` / ``optim.Adam``, then
  ``opt.zero_grad(); loss.backward(); opt.step()``;
* ``closed_form``: the hand-derived NumPy step of :mod:`tinygrad_edu.reference`, the same
  arithmetic without a framework (the floor);
* ``torch``: the same model in PyTorch -- literally the same code as ours (:func:`_autograd_step`
  takes the library as an argument), when PyTorch imports;
* ``compiled``: ``tinygrad_edu.compile`` of our step, where the library has ``compile``;
* ``jax``: the step in JAX under ``jax.jit``, from a builder the caller passes in
  (``benchmarks/jax_steps.py``: the package never imports the benchmarks, nor JAX).

Only this much lives in the package: the harness that times, checks and reports these steps is
``benchmarks/bench_step.py`` (and ``benchmarks/bench_memory.py`` for peak memory), which
``tinygrad-edu bench`` runs. Not imported by ``import tinygrad_edu``; PyTorch is imported only
by :func:`load_torch`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import tinygrad_edu

from . import models
from .reference import adam as reference_adam
from .reference import cnn, mlp, mlp_bn, softmax_regression, two_layer_net, xor_mlp

__all__ = ["MODELS", "ModelSpec", "Problem", "Step", "build_steps", "load_torch", "make_problem"]

#: A training step: takes one step, returns the loss before it (a float or a 0-d tensor).
Step = Callable[[], Any]


@dataclass(frozen=True)
class ModelSpec:
    """One benchmarked model: network, loss, optimizer and batch."""

    key: str
    title: str
    sizes: tuple[int, ...]  # layer widths, input first: (784, 64, 10) is 784-64-10
    activation: str  # "relu", "sigmoid" (between the Linear layers) or "none"
    optimizer: str  # "sgd" or "adam"
    lr: float
    batch: int
    loss: str = "cross_entropy"  # with integer labels; or "mse"
    activate_output: bool = False  # an activation after the last Linear too (E's sigmoid)
    #: "mlp" (built from ``sizes`` and ``activation``), or a network of :mod:`.models`:
    #: "cnn" (:func:`.models.lenet_bn`) or "mlp_bn" (:func:`.models.mlp_bn`)
    kind: str = "mlp"
    dropout: float = 0.0  # of the "cnn" and "mlp_bn" networks


#: The models of the step benchmark (A-E: issue 6; F, G: issue 13).
MODELS: dict[str, ModelSpec] = {spec.key: spec for spec in (
    ModelSpec("A", "softmax regression 784-10, batch 100, SGD", (784, 10), "none", "sgd", 0.1,
              100),
    ModelSpec("B", "MLP 784-64-10 ReLU, batch 100, SGD", (784, 64, 10), "relu", "sgd", 0.1, 100),
    ModelSpec("C", "MLP 784-512-10 ReLU, batch 128, SGD", (784, 512, 10), "relu", "sgd", 0.1,
              128),
    ModelSpec("D", "MLP 784-512-10 ReLU, batch 128, Adam", (784, 512, 10), "relu", "adam", 1e-3,
              128),
    ModelSpec("E", "XOR 2-4-1 sigmoid + MSE, batch 4, SGD", (2, 4, 1), "sigmoid", "sgd", 0.5, 4,
              loss="mse", activate_output=True),
    ModelSpec("F", "CNN 1x28x28 conv32-BN-pool conv64-BN-pool 3136-128-10, dropout, batch 64, "
              "Adam", (784, 10), "relu", "adam", 1e-3, 64, kind="cnn", dropout=0.5),
    ModelSpec("G", "MLP 784-512-10 BatchNorm1d ReLU dropout, batch 128, SGD", (784, 512, 10),
              "relu", "sgd", 0.1, 128, kind="mlp_bn", dropout=0.5),
)}

#: each network of :mod:`.models`: its closed form, its builder, the shape of one input
_NETWORKS: dict[str, tuple[Any, Callable[..., Any], tuple[int, ...]]] = {
    "cnn": (cnn, models.lenet_bn, (1, 28, 28)), "mlp_bn": (mlp_bn, models.mlp_bn, (784,))}


@dataclass
class Problem:
    """A model's fixed batch and initial weights in the reference layout (``W`` is (in, out);
    ``nn.Linear`` stores the transpose, which the builders copy)."""

    spec: ModelSpec
    X: np.ndarray  # (N, D) float32
    target: np.ndarray  # int64 labels (N,) for cross-entropy, float32 (N, 1) for MSE
    params: dict[str, np.ndarray]  # W1, b1, ... (or W, b), float32

    def linear_params(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(W, b)`` of each Linear layer, first layer first."""
        p = self.params
        if "W" in p:
            return [(p["W"], p["b"])]
        return [(p[f"W{i}"], p[f"b{i}"]) for i in range(1, len(p) // 2 + 1)]


def make_problem(spec: ModelSpec, seed: int = 0) -> Problem:
    """Inputs in [0, 1) with random labels (the XOR table for E), the reference initialisation.

    Weights of the MLPs are ``scale * N(0, 1)``: 0.05 for one hidden layer (larger logits than
    the module's 0.01 make the losses move more per step, which sharpens the loss check), He's
    ``sqrt(2 / width)`` for deeper nets, so that activations neither vanish nor explode.
    """
    rng = np.random.default_rng(seed)
    if spec.kind in _NETWORKS:
        reference, _, image = _NETWORKS[spec.kind]
        X = rng.random((spec.batch, *image), dtype=np.float32)
        labels = rng.integers(0, spec.sizes[-1], size=spec.batch, dtype=np.int64)
        return Problem(spec, X, labels, reference.init_params(rng, np.float32))
    if spec.loss == "mse":
        params = xor_mlp.init_params(rng, hidden=spec.sizes[1], dtype=np.float32)
        return Problem(spec, np.asarray(xor_mlp.XOR_X, dtype=np.float32),
                       np.asarray(xor_mlp.XOR_Y, dtype=np.float32), params)
    X = rng.random((spec.batch, spec.sizes[0]), dtype=np.float32)
    labels = rng.integers(0, spec.sizes[-1], size=spec.batch, dtype=np.int64)
    if len(spec.sizes) == 2:
        params = softmax_regression.init_params(*spec.sizes, rng=rng, dtype=np.float32)
    elif len(spec.sizes) == 3:
        params = two_layer_net.init_params(*spec.sizes, rng=rng, dtype=np.float32,
                                           weight_scale=0.05)
    else:
        params = mlp.init_params(spec.sizes, rng, np.float32,
                                 weight_scale=float(np.sqrt(2 / spec.sizes[1])))
    return Problem(spec, X, labels, params)


def _network(lib: Any, problem: Problem, dropout: bool) -> Any:
    """A network of :mod:`.models` built with ``lib.nn``, holding the problem's weights."""
    spec = problem.spec
    model = _NETWORKS[spec.kind][1](lib.nn, dropout=spec.dropout if dropout else 0.0)
    with lib.no_grad():
        for name, p in model.named_parameters():
            p.copy_(lib.from_numpy(problem.params[name]))
    return model


def _autograd_step(lib: Any, problem: Problem, dropout: bool = True) -> Step:
    """The PyTorch-style step; ``lib`` is ``tinygrad_edu`` or ``torch`` (they share the names)."""
    spec, nn = problem.spec, lib.nn
    if spec.kind in _NETWORKS:
        model = _network(lib, problem, dropout)
        return _train_step(lib, problem, model)
    layers: list[Any] = []
    for i, (fan_in, fan_out) in enumerate(zip(spec.sizes[:-1], spec.sizes[1:], strict=True)):
        layers.append(nn.Linear(fan_in, fan_out))
        if i < len(spec.sizes) - 2 or spec.activate_output:
            layers.append({"relu": nn.ReLU, "sigmoid": nn.Sigmoid}[spec.activation]())
    model = layers[0] if len(layers) == 1 else nn.Sequential(*layers)
    with lib.no_grad():
        linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
        for layer, (W, b) in zip(linears, problem.linear_params(), strict=True):
            layer.weight.copy_(lib.from_numpy(np.ascontiguousarray(W.T)))
            layer.bias.copy_(lib.from_numpy(b))
    return _train_step(lib, problem, model)


def _train_step(lib: Any, problem: Problem, model: Any) -> Step:
    spec = problem.spec
    x, y = lib.from_numpy(problem.X), lib.from_numpy(problem.target)
    F = lib.nn.functional
    loss_fn = F.cross_entropy if spec.loss == "cross_entropy" else F.mse_loss
    optimizer = lib.optim.SGD if spec.optimizer == "sgd" else lib.optim.Adam
    opt = optimizer(model.parameters(), lr=spec.lr)

    def step() -> Any:
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return step


def _closed_form_network(problem: Problem, dropout: bool) -> Step:
    """A network's hand-written step: its reference ``loss_and_grads`` with a fresh dropout
    mask each step (NumPy's generator), then SGD or the reference Adam."""
    spec, X, target = problem.spec, problem.X, problem.target
    reference = _NETWORKS[spec.kind][0]
    loss_and_grads = reference.loss_and_grads
    params = {k: v.copy() for k, v in problem.params.items()}
    running = reference.init_running(np.float32)
    p = spec.dropout if dropout else 0.0
    hidden = params["fc2.weight"].shape[1]
    rng, scale = np.random.default_rng(0), np.float32(1 / (1 - p)) if p < 1 else np.float32(0)
    adam = reference_adam.Adam(params, lr=spec.lr) if spec.optimizer == "adam" else None

    def step() -> float:
        keep = None
        if p > 0:
            keep = (rng.random((len(X), hidden), dtype=np.float32) >= p) * scale
        loss, grads = loss_and_grads(params, X, target, running, keep)
        if adam is not None:
            adam.step(grads)
        else:
            for name, g in grads.items():
                g *= spec.lr
                params[name] -= g
        return loss

    return step


def _closed_form(problem: Problem, dropout: bool = True) -> Step:
    spec, X, target, lr = problem.spec, problem.X, problem.target, problem.spec.lr
    if spec.kind in _NETWORKS:
        return _closed_form_network(problem, dropout)
    params = {k: v.copy() for k, v in problem.params.items()}  # updated in place by the steps
    # The reference functions are looked up when the step is built, not at import, so a test
    # can swap one for a deliberately wrong version. relu'(0) = 0, as the engine and PyTorch.
    if spec.loss == "mse":
        xor_loss_and_grads = xor_mlp.loss_and_grads

        def xor_step() -> float:
            loss, grads = xor_loss_and_grads(params, X, target)
            for name, p in params.items():
                p -= lr * grads[name]
            return loss

        return xor_step
    if spec.optimizer == "adam":
        loss_and_grads, adam = two_layer_net.loss_and_grads, reference_adam.Adam(params, lr=lr)

        def adam_step() -> float:
            loss, grads = loss_and_grads(params, X, target, relu_grad_at_zero=0.0)
            adam.step(grads)
            return loss

        return adam_step
    if len(spec.sizes) == 2:
        softmax_sgd_step = softmax_regression.sgd_step
        return lambda: softmax_sgd_step(params, X, target, lr)
    sgd_step = two_layer_net.sgd_step if len(spec.sizes) == 3 else mlp.sgd_step
    return lambda: sgd_step(params, X, target, lr, relu_grad_at_zero=0.0)


def build_steps(problem: Problem, torch: Any = None,
                implementations: tuple[str, ...] = ("tinygrad_edu", "compiled", "closed_form",
                                                    "torch", "jax"),
                dropout: bool = True,
                jax_step: Callable[[Problem, bool], Step] | None = None) -> dict[str, Step]:
    """A fresh step per implementation, each from ``problem.params`` (``torch``: the module,
    or ``None`` to leave PyTorch out; ``jax_step(problem, dropout)``: the JAX step's builder, or
    ``None``; "compiled" only where ``tinygrad_edu`` has ``compile``). ``dropout=False`` builds
    the networks without dropout: each implementation draws its own masks, so only then do
    their losses agree step by step (the loss check uses that twin; the timed steps have
    dropout)."""
    compile_step = getattr(tinygrad_edu, "compile", None)  # looked up now: tests may plant one
    builders: dict[str, Callable[[], Step]] = {
        "tinygrad_edu": lambda: _autograd_step(tinygrad_edu, problem, dropout),
        "compiled": lambda: compile_step(  # type: ignore[misc]
            _autograd_step(tinygrad_edu, problem, dropout)),
        "closed_form": lambda: _closed_form(problem, dropout),
        "torch": lambda: _autograd_step(torch, problem, dropout),
        "jax": lambda: jax_step(problem, dropout),  # type: ignore[misc]
    }
    available = {"compiled": compile_step is not None, "torch": torch is not None,
                 "jax": jax_step is not None}
    return {name: builders[name]() for name in implementations if available.get(name, True)}


def load_torch(use_torch: bool = True) -> Any:
    """The ``torch`` module, or ``None`` when it is not installed (or not wanted)."""
    if not use_torch:
        return None
    try:
        import torch
    except ImportError:
        return None
    return torch
