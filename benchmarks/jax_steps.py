"""The step benchmark's training steps written in JAX, for ``bench_step``'s "jax" column.

Each model of ``tinygrad_edu.bench.MODELS`` is written as a JAX user writes it: a pure loss of a
parameter pytree, ``jax.value_and_grad`` of it, the SGD or Adam update as a ``tree_map``, the
whole step under ``jax.jit`` with the state donated (XLA may then update the weights in place).
The batch and the initial weights are the problem's (float32), so the losses agree with the
closed form's step by step; Adam is :mod:`tinygrad_edu.reference.adam`'s rule (optax is not a
dependency). F and G carry batch norm's running statistics and a ``jax.random`` key for dropout
in their state; with ``dropout=False`` they have no dropout, which the loss check needs (each
implementation draws its own masks).

**Timing a step.** JAX dispatches asynchronously: ``jitted(...)`` returns before XLA has run.
The step therefore waits for its loss (``block_until_ready``); all outputs of one XLA
execution are ready together, so the new weights are too. That is the synchronous step the
other implementations take, and what a loop that logs its loss every step pays.

``XLA_FLAGS`` must size XLA's thread pool before ``jax`` is imported: ``bench_step.thread_env``
sets it for the worker processes. Imported only by ``bench_step.load_jax`` (and its test).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from tinygrad_edu.bench import Problem, Step

__all__ = ["build_jax_step"]

Params = Any  # a pytree of jax arrays
#: ``loss_fn(params, extra, x, y) -> (loss, extra)``: ``extra`` is model state that is not
#: trained (batch norm's running statistics, the dropout key), ``()`` for the plain MLPs.
LossFn = Callable[[Params, Any, jax.Array, jax.Array], tuple[jax.Array, Any]]

BN_EPS, BN_MOMENTUM = 1e-5, 0.1  # PyTorch's defaults, as tinygrad_edu.reference's batch norm


def _own(a: np.ndarray) -> jax.Array:
    """A jax array in its own buffer: on CPU ``jnp.asarray`` may alias the NumPy memory, and a
    donated buffer is overwritten -- the problem's weights must stay as they are."""
    return jnp.array(np.array(a, copy=True))


# --------------------------------------------------------------------------- losses


def cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """Mean of ``-log softmax(logits)[label]``, as ``F.cross_entropy``."""
    log_p = jax.nn.log_softmax(logits, axis=-1)
    return -jnp.mean(jnp.take_along_axis(log_p, labels[:, None], axis=1))


def _mlp_loss(problem: Problem) -> LossFn:
    """Linear layers (reference layout: ``W`` is (in, out)) with the spec's activation."""
    spec = problem.spec
    act = {"relu": jax.nn.relu, "sigmoid": jax.nn.sigmoid, "none": None}[spec.activation]

    def loss_fn(params: Params, extra: Any, x: jax.Array, y: jax.Array
                ) -> tuple[jax.Array, Any]:
        h = x
        for i, (W, b) in enumerate(params):
            h = h @ W + b
            if act is not None and (i < len(params) - 1 or spec.activate_output):
                h = act(h)
        loss = jnp.mean((h - y) ** 2) if spec.loss == "mse" else cross_entropy(h, y)
        return loss, extra

    return loss_fn


def _batch_norm(z: jax.Array, gamma: jax.Array, beta: jax.Array, running: dict[str, jax.Array],
                prefix: str) -> tuple[jax.Array, dict[str, jax.Array]]:
    """Training-mode batch norm over every axis but 1 (the channels), and the running
    statistics' update (PyTorch's: the unbiased variance)."""
    axes = tuple(a for a in range(z.ndim) if a != 1)
    shape = [1] * z.ndim
    shape[1] = z.shape[1]
    mean, var = jnp.mean(z, axis=axes), jnp.var(z, axis=axes)
    z_hat = (z - mean.reshape(shape)) * jax.lax.rsqrt(var.reshape(shape) + BN_EPS)
    n = z.size // z.shape[1]
    m = BN_MOMENTUM
    new = {f"{prefix}.mean": (1 - m) * running[f"{prefix}.mean"] + m * mean,
           f"{prefix}.var": (1 - m) * running[f"{prefix}.var"] + m * var * (n / (n - 1))}
    return z_hat * gamma.reshape(shape) + beta.reshape(shape), new


def _dropout(h: jax.Array, p: float, key: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Inverted dropout with a fresh mask from ``key``; returns the next key too."""
    if p == 0:
        return h, key
    key, sub = jax.random.split(key)
    keep = jax.random.bernoulli(sub, 1 - p, h.shape)
    return jnp.where(keep, h / (1 - p), 0), key


def _conv_block(x: jax.Array, params: Params, b: int, running: dict[str, jax.Array]
                ) -> tuple[jax.Array, dict[str, jax.Array]]:
    """conv 3x3 pad 1 (no bias) -> batch norm -> relu -> max pool 2x2, NCHW."""
    z = jax.lax.conv_general_dilated(x, params[f"conv{b}.weight"], (1, 1), ((1, 1), (1, 1)),
                                     dimension_numbers=("NCHW", "OIHW", "NCHW"))
    y, stats = _batch_norm(z, params[f"bn{b}.weight"], params[f"bn{b}.bias"], running, f"bn{b}")
    a = jax.nn.relu(y)
    pooled = jax.lax.reduce_window(a, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2),
                                   "VALID")
    return pooled, stats


def _network_loss(problem: Problem, p: float) -> LossFn:
    """Model F (LeNet with batch norm) or G (MLP with batch norm), keyed like the state dict
    (``fc1.weight`` is (out, in)); ``extra`` is ``(running statistics, dropout key)``."""
    kind = problem.spec.kind

    def loss_fn(params: Params, extra: Any, x: jax.Array, y: jax.Array
                ) -> tuple[jax.Array, Any]:
        running, key = extra
        stats: dict[str, jax.Array] = {}
        if kind == "cnn":
            h = x
            for b in (1, 2):
                h, new = _conv_block(h, params, b, running)
                stats.update(new)
            h = jax.nn.relu(h.reshape(h.shape[0], -1) @ params["fc1.weight"].T
                            + params["fc1.bias"])
        else:  # mlp_bn: fc1 (no bias) -> bn1 -> relu
            z = x @ params["fc1.weight"].T
            z, stats = _batch_norm(z, params["bn1.weight"], params["bn1.bias"], running, "bn1")
            h = jax.nn.relu(z)
        h, key = _dropout(h, p, key)
        logits = h @ params["fc2.weight"].T + params["fc2.bias"]
        return cross_entropy(logits, y), (stats, key)

    return loss_fn


# --------------------------------------------------------------------------- optimizers


Optimizer = tuple[Callable[[Params], Any], Callable[[Params, Params, Any], tuple[Params, Any]]]


def sgd(lr: float) -> Optimizer:
    """``p -= lr * g``; no state."""
    def update(params: Params, grads: Params, state: Any) -> tuple[Params, Any]:
        return jax.tree.map(lambda p, g: p - lr * g, params, grads), state

    return (lambda params: ()), update


def adam(lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> Optimizer:
    """:class:`tinygrad_edu.reference.adam.Adam`'s rule (and PyTorch's):
    ``p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)``."""
    beta1, beta2 = betas

    def init(params: Params) -> Any:
        # two trees of their own: m and v are donated, and a buffer can be donated only once
        m, v = (jax.tree.map(jnp.zeros_like, params) for _ in range(2))
        return jnp.zeros((), jnp.float32), m, v

    def update(params: Params, grads: Params, state: Any) -> tuple[Params, Any]:
        t, m, v = state
        t = t + 1
        m = jax.tree.map(lambda m, g: beta1 * m + (1 - beta1) * g, m, grads)
        v = jax.tree.map(lambda v, g: beta2 * v + (1 - beta2) * g * g, v, grads)
        step_size = lr / (1 - beta1 ** t)
        sqrt_bc2 = jnp.sqrt(1 - beta2 ** t)
        params = jax.tree.map(lambda p, m, v: p - step_size * m / (jnp.sqrt(v) / sqrt_bc2 + eps),
                              params, m, v)
        return params, (t, m, v)

    return init, update


# --------------------------------------------------------------------------- the step


def _jitted_step(loss_fn: LossFn, optimizer: Optimizer, params: Params, extra: Any,
                 x: jax.Array, y: jax.Array) -> Step:
    init, update = optimizer

    def train_step(params: Params, opt_state: Any, extra: Any, x: jax.Array, y: jax.Array
                   ) -> tuple[Params, Any, Any, jax.Array]:
        (loss, extra), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, extra, x, y)
        params, opt_state = update(params, grads, opt_state)
        return params, opt_state, extra, loss

    # the old weights, optimizer state and statistics are dead after the step: donate them
    jitted = jax.jit(train_step, donate_argnums=(0, 1, 2))
    state = [params, init(params), extra]

    def step() -> jax.Array:
        state[0], state[1], state[2], loss = jitted(state[0], state[1], state[2], x, y)
        return loss.block_until_ready()  # see the module docstring

    return step


def build_jax_step(problem: Problem, dropout: bool = True) -> Step:
    """The problem's training step in JAX; each call takes one step and returns the loss before
    it (a 0-d jax array). ``dropout=False`` builds F and G without dropout."""
    spec = problem.spec
    x = _own(problem.X)
    if spec.loss == "mse":
        y = _own(problem.target.astype(np.float32))
    else:  # jax's default integers are 32-bit
        y = _own(problem.target.astype(np.int32))
    optimizer = sgd(spec.lr) if spec.optimizer == "sgd" else adam(spec.lr)
    if spec.kind in ("cnn", "mlp_bn"):
        params = {k: _own(v) for k, v in problem.params.items()}
        channels = {"cnn": {"bn1": 32, "bn2": 64}, "mlp_bn": {"bn1": params["bn1.weight"].size}}
        running: dict[str, jax.Array] = {}
        for bn, c in channels[spec.kind].items():
            running[f"{bn}.mean"] = jnp.zeros(c, jnp.float32)
            running[f"{bn}.var"] = jnp.ones(c, jnp.float32)
        p = spec.dropout if dropout else 0.0
        extra = (running, jax.random.key(0))
        return _jitted_step(_network_loss(problem, p), optimizer, params, extra, x, y)
    if spec.kind != "mlp":
        raise ValueError(f"model {spec.key}: no JAX step for kind {spec.kind!r}")
    params = [(_own(W), _own(b)) for W, b in problem.linear_params()]
    return _jitted_step(_mlp_loss(problem), optimizer, params, (), x, y)
