"""Normalization: batch, instance, group and layer norm, each ONE node with a closed-form
backward (not a chain of mean, subtract, square, mean, sqrt, divide, scale and shift nodes).

All four standardize groups of values -- one *statistic* each -- to mean 0 and variance 1, then
scale and shift them (gamma, beta). They differ only in which values form a statistic and which
share a gamma, and ``Plan`` says both on one 4-D view (N, G, K, S) of the input::

    batch norm     (N, C, *S) -> (N, C, 1, S)    a statistic per channel g, over n and s
    instance norm  (N, C, *S) -> (N, C, 1, S)    a statistic per (n, g), over s
    group norm     (N, C, *S) -> (N, G, C/G, S)  a statistic per (n, g), over k and s
    layer norm     (*B, *D)   -> (B, 1, D, 1)    a statistic per row n, over k (the dims D)

gamma and beta are per (g, k): per channel for batch, instance and group norm, per element of
the normalized dims for layer norm. Evaluation-mode batch norm (and instance norm without input
statistics) uses fixed running statistics: an affine map per channel, the same node with the
``fixed`` setting.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from .._sums import sum_columns
from ..autograd import Array, Function
from ..autograd.graph import bump_arrays
from .either import sum_keepdims


class Plan(NamedTuple):
    """How an input is grouped: its 4-D view (N, G, K, S) and whether each statistic belongs to
    one sample (``per_sample``: statistics of shape (N, G)) or pools the batch (batch norm:
    shape (G,)). gamma and beta have one value per (g, k)."""

    view: tuple[int, int, int, int]
    per_sample: bool

    @property
    def stat_size(self) -> int:
        """M, the number of values in one statistic."""
        n, _, k, s = self.view
        return k * s * (1 if self.per_sample else n)

    @property
    def stat_axes(self) -> tuple[int, ...]:
        """The axes of the 4-D view that one statistic runs over."""
        return (2, 3) if self.per_sample else (0, 2, 3)


def _sums(a: Array, per_sample: bool, b: Array | None = None) -> Array:
    """The sum of ``a`` (or of ``a * b``, without forming it) over each statistic's values, on
    the C-ordered (N, G, M) view: shape (N, G) or (G,).

    Speed, measured on (64, 32, 784) float32: einsum adds over n and m in 0.13 ms, where
    ``np.add.reduce(a, axis=(0, 2))`` takes 0.50 ms (and forming a * b first doubles it).
    """
    out = "ng" if per_sample else "g"
    if b is None:
        if not per_sample and a.shape[2] == 1:  # (N, C): a BLAS product with ones is faster
            return sum_columns(a.reshape(a.shape[:2]))  # (16 us -> 7 us on 128 x 512)
        return np.einsum("ngm->" + out, a)
    return np.einsum("ngm,ngm->" + out, a, b)


def _by_n(stat: Array, per_sample: bool) -> Array:
    """A per-statistic value summed over the batch, for gamma's and beta's gradients."""
    return np.add.reduce(stat, axis=0) if per_sample else stat


def _update_running(running: tuple[Array, Array, float], mean: Array, square_sum: Array,
                    count: int, per_sample: bool) -> None:
    """running_mean = (1 - m) running_mean + m mean and running_var = (1 - m) running_var +
    m var_unbiased, in place, with var_unbiased = sum (x - mean)^2 / (M - 1), as PyTorch;
    instance norm's per-sample statistics are averaged over the batch first."""
    running_mean, running_var, momentum = running
    # dated before the node is made: values other nodes saved from them are now stale
    bump_arrays((running_mean, running_var))
    if count == 0:  # an empty batch leaves them as they are (PyTorch)
        return
    unbiased = square_sum / (count - 1) if count > 1 else np.full_like(square_sum, np.nan)
    if per_sample:
        mean, unbiased = np.mean(mean, axis=0), np.mean(unbiased, axis=0)
    for buffer, value in ((running_mean, mean), (running_var, unbiased)):
        buffer *= 1 - momentum
        buffer += momentum * value


class Normalize(Function):
    """y = gamma xhat + beta,  xhat = (x - mu) inv,  inv = 1 / sqrt(var + eps), with mu and the
    biased var = mean((x - mu)^2) over the M values of each statistic (see the module doc).

        dL/dbeta  = sum of g            dL/dgamma = sum of g xhat       (over n and s)
        dL/dx     = inv / M (M h - sum(h) - xhat sum(h xhat)),  h = gamma g   (per statistic)

    with g = dL/dy. The derivation, per statistic, with h_i = dL/dxhat_i = gamma_i g_i:
    dmu/dx_j = 1/M;  dvar/dx_j = (2/M) sum_i (x_i - mu)(delta_ij - 1/M) = (2/M)(x_j - mu), as
    the x_i - mu sum to 0;  dinv/dx_j = -1/2 (var + eps)^(-3/2) dvar/dx_j = -inv^2 xhat_j / M;
    so dxhat_i/dx_j = inv (delta_ij - 1/M) + (x_i - mu) dinv/dx_j
                    = inv (delta_ij - 1/M - xhat_i xhat_j / M),
    and dL/dx_j = sum_i h_i dxhat_i/dx_j is the line above. Where gamma is constant over a
    statistic (batch and instance norm) it factors out:
    dL/dx = gamma inv / M (M g - sum(g) - xhat sum(g xhat)), and for batch norm these two sums
    are dL/dbeta and dL/dgamma themselves (one pass over g each, shared).

    With ``fixed`` (mu, var) -- evaluation mode -- y = x a + c per channel, a = gamma inv,
    c = beta - mu a:  dL/dx = a g,  dL/dgamma = sum of g xhat,  dL/dbeta = sum of g.

    ``array_backward`` uses what the forward saved: x - mu and inv (layer norm with gamma: xhat;
    group norm with gamma varying inside a group: mu, and x, see ``_group_backward``).
    ``backward`` -- run on Tensors under create_graph -- recomputes mu,
    var and xhat from x with recorded ops (DESIGN: fused ops recompute their intermediates),
    so the second derivative flows through the statistics too; tests prove both forms equal.
    The optional running statistics (``running``) are updated in place during the forward.
    """

    saved_from = (None, None, 0, 1)  # (x - mu, xhat or mu), inv, x, gamma
    differentiable_backward = True
    # y = x a + c with a = gamma inv and c = beta - mu a, as PyTorch's CPU kernels for batch,
    # instance and group norm compute it (so an infinite gamma gives their NaN, not +-inf);
    # layer norm's kernel computes xhat gamma + beta
    fold_affine = True

    @staticmethod
    def forward(ctx: Any, x: Array, *affine: Array, plan: Plan, eps: float,
                weight: bool = False, bias: bool = False,
                fixed: tuple[Array, Array] | None = None,
                running: tuple[Array, Array, float] | None = None) -> Array:
        gamma = affine[0] if weight else None
        beta = affine[-1] if bias else None
        n, g, k, s = plan.view
        ctx.plan, ctx.eps, ctx.fixed = plan, eps, fixed is not None
        ctx.weight_shape = None if gamma is None else gamma.shape
        ctx.bias_shape = None if beta is None else beta.shape
        # the sums add in memory order: one C-ordered copy makes every layout give the same bits
        xs = x if x.flags.c_contiguous else np.ascontiguousarray(x)
        x3 = xs.reshape(n, g, k * s)
        out = np.empty(x.shape, x.dtype)
        y3 = out.reshape(n, g, k * s)
        ctx.form = "centered"  # saved[0] is x - mu ("xhat": xhat; "groups": mu)
        if fixed is not None:  # y = x a + c per channel (K = 1)
            mean, var = fixed
            inv = 1 / np.sqrt(var + eps)
            scale = inv if gamma is None else gamma * inv
            shift = -mean * scale if beta is None else beta - mean * scale
            np.multiply(x3, scale[:, None], out=y3)
            y3 += shift[:, None]
            ctx.saved = (np.array(mean), inv, x, gamma)  # a copy: the buffer may change
            return out
        count = plan.stat_size
        if x.size == 0:  # nothing to standardize; statistics of nothing are NaN
            ctx.saved = (x3, np.full((n, g) if plan.per_sample else (g,), np.nan, x.dtype),
                         x, gamma)
            return out
        mean = _sums(x3, plan.per_sample) / count
        centered = np.subtract(x3, mean[..., None])
        square_sum = _sums(centered, plan.per_sample, centered)
        inv = 1 / np.sqrt(square_sum / count + eps)
        if running is not None:
            _update_running(running, mean, square_sum, count, plan.per_sample)
        out4 = out.reshape(n, g, k, s)
        if ctx.fold_affine:  # y = x a + c per statistic and channel, a = gamma inv, c = beta - mu a
            scale = inv[..., None] if gamma is None else inv[..., None] * gamma.reshape(g, k)
            shift = mean[..., None] * scale
            shift = -shift if beta is None else beta.reshape(g, k) - shift
            np.multiply(xs.reshape(n, g, k, s), scale[..., None], out=out4)
            out4 += shift[..., None]
            if gamma is not None and k > 1:  # group norm, gamma varying inside a group
                ctx.form = "groups"
                ctx.saved = (mean, inv, x, gamma)
                return out
        elif gamma is None:  # layer norm: y = xhat gamma + beta
            np.multiply(centered, inv[..., None], out=y3)
        else:
            centered *= inv[..., None]
            np.multiply(centered.reshape(n, g, k, s), gamma.reshape(g, k, 1), out=out4)
            ctx.form = "xhat"
        if beta is not None and not ctx.fold_affine:
            out4 += beta.reshape(g, k, 1)
        ctx.saved = (centered, inv, x, gamma)
        return out

    @staticmethod
    def array_backward(ctx: Any, grad: Array) -> tuple[Array | None, ...]:
        c, inv, x, gamma = ctx.saved
        plan = ctx.plan
        n, g, k, s = plan.view
        ps, count = plan.per_sample, plan.stat_size
        need = ctx.needs_input_grad
        need_x, need_w, need_b = need[0], ctx.weight_shape is not None and need[1], (
            ctx.bias_shape is not None and need[-1])
        gs = grad if grad.flags.c_contiguous else np.ascontiguousarray(grad)
        g3 = gs.reshape(n, g, k * s)
        dx = dw = db = None
        if x.size == 0:
            dx = np.zeros(x.shape, x.dtype) if need_x else None
            dw = np.zeros(ctx.weight_shape, x.dtype) if need_w else None
            db = np.zeros(ctx.bias_shape, x.dtype) if need_b else None
            return _present(ctx, dx, dw, db)
        if ctx.fixed:  # y = x a + c per channel: c holds mu
            if need_x:
                scale = inv if gamma is None else gamma * inv
                dx = np.empty(x.shape, x.dtype)
                np.multiply(g3, scale[:, None], out=dx.reshape(n, g, k * s))
            if need_w:
                xs = x if x.flags.c_contiguous else np.ascontiguousarray(x)
                centered = np.subtract(xs.reshape(n, g, k * s), c[:, None])
                dw = (_sums(g3, False, centered) * inv).reshape(ctx.weight_shape)
            if need_b:
                db = _sums(g3, False).reshape(ctx.bias_shape)
            return _present(ctx, dx, dw, db)
        if ctx.form == "groups":
            return _group_backward(ctx, g3, c, inv, x, gamma, (need_x, need_w, need_b))
        if ctx.form == "centered":  # c = x - mu; gamma (if any) constant over each statistic
            sum_g = _sums(g3, ps)
            sum_g_xhat = _sums(g3, ps, c) * inv
            if need_w:
                dw = _by_n(sum_g_xhat, ps).reshape(ctx.weight_shape)
            if need_b:
                db = (_by_n(sum_g, ps) if k == 1 else np.einsum(
                    "ngks->gk", g3.reshape(n, g, k, s))).reshape(ctx.bias_shape)
            if need_x:  # gamma inv (g - sum(g)/M - (x - mu) inv^2 sum(g xhat)/M)
                scale = inv if gamma is None else gamma.reshape(g) * inv
                dx = np.empty(x.shape, x.dtype)
                t = dx.reshape(n, g, k * s)
                np.multiply(c, (sum_g_xhat * inv / count)[..., None], out=t)
                t += (sum_g / count)[..., None]
                np.subtract(g3, t, out=t)
                t *= scale[..., None]
            return _present(ctx, dx, dw, db)
        # c = xhat; gamma per (g, k): h = gamma g, then inv (h - sum(h)/M - xhat sum(h xhat)/M)
        g4 = g3.reshape(n, g, k, s)
        if need_w:
            dw = np.einsum("ngks,ngks->gk", g4, c.reshape(n, g, k, s)).reshape(ctx.weight_shape)
        if need_b:
            db = np.einsum("ngks->gk", g4).reshape(ctx.bias_shape)
        if need_x:
            dx = np.empty(x.shape, x.dtype)
            h = dx.reshape(n, g, k * s)
            np.multiply(g4, gamma.reshape(g, k, 1), out=dx.reshape(n, g, k, s))
            sum_h, sum_h_xhat = _sums(h, ps), _sums(h, ps, c)
            t = np.multiply(c, (sum_h_xhat / count)[..., None])
            t += (sum_h / count)[..., None]
            h -= t
            h *= inv[..., None]
        return _present(ctx, dx, dw, db)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, ...]:
        """The same derivative with operations arrays and Tensors share, from x and gamma."""
        saved, inv, x, gamma = ctx.saved
        plan = ctx.plan
        n, g, k, s = plan.view
        axes, count = plan.stat_axes, plan.stat_size
        x4, g4 = x.reshape(n, g, k, s), grad.reshape(n, g, k, s)
        h = g4 if gamma is None else g4 * gamma.reshape(1, g, k, 1)
        if ctx.fixed:  # constants: the running statistics
            xhat = (x4 - saved.reshape(1, g, 1, 1)) * inv.reshape(1, g, 1, 1)
            dx = h * inv.reshape(1, g, 1, 1)
        else:
            centered = x4 - sum_keepdims(x4, axes) / count
            inv4 = (sum_keepdims(centered * centered, axes) / count + ctx.eps) ** -0.5
            xhat = centered * inv4
            dx = (h - sum_keepdims(h, axes) / count
                  - xhat * (sum_keepdims(h * xhat, axes) / count)) * inv4
        need = ctx.needs_input_grad
        dw = db = None
        if ctx.weight_shape is not None and need[1]:
            dw = sum_keepdims(g4 * xhat, (0, 3)).reshape(ctx.weight_shape)
        if ctx.bias_shape is not None and need[-1]:
            db = sum_keepdims(g4, (0, 3)).reshape(ctx.bias_shape)
        return _present(ctx, dx.reshape(x.shape) if need[0] else None, dw, db)


def _group_backward(ctx: Any, g3: Array, mean: Array, inv: Array, x: Array, gamma: Array,
                    need: tuple[bool, bool, bool]) -> tuple[Array | None, ...]:
    """Group norm with gamma per channel (inside a group), arranged as PyTorch's kernel:
    with per-(n, c) sums of g x and g and per-(n, g) sums of gamma g x (sgx) and gamma g (sg),
    dL/dx = inv gamma g + c2 x + c3,  c2 = (sg mu - sgx) inv^3 / M,  c3 = -c2 mu - sg inv / M
    (the closed form above, expanded), and dL/dgamma = sum_n (sum g x - mu sum g) inv -- so
    infinite weights give PyTorch's NaN positions too."""
    n, g, k, s = ctx.plan.view
    count = ctx.plan.stat_size
    xs = x if x.flags.c_contiguous else np.ascontiguousarray(x)
    x4, g4, gamma2 = xs.reshape(n, g, k, s), g3.reshape(n, g, k, s), gamma.reshape(g, k)
    sum_gx, sum_g = np.einsum("ngks,ngks->ngk", g4, x4), np.einsum("ngks->ngk", g4)
    dx = dw = db = None
    if need[1]:
        dw = np.einsum("ngk,ng->gk", sum_gx - sum_g * mean[..., None], inv).reshape(gamma.shape)
    if need[2]:
        db = np.add.reduce(sum_g, axis=0).reshape(ctx.bias_shape)
    if need[0]:
        sgx, sg = np.einsum("ngk,gk->ng", sum_gx, gamma2), np.einsum("ngk,gk->ng", sum_g, gamma2)
        c2 = (sg * mean - sgx) * inv ** 3 / count
        c3 = -c2 * mean - sg * inv / count
        dx = np.empty(x.shape, x.dtype)
        dx4 = dx.reshape(n, g, k, s)
        np.multiply(g4, (inv[..., None] * gamma2)[..., None], out=dx4)
        dx4 += x4 * c2[..., None, None]
        dx4 += c3[..., None, None]
    return _present(ctx, dx, dw, db)


def _present(ctx: Any, dx: Any, dw: Any, db: Any) -> tuple[Any, ...]:
    """The gradients of the inputs the op was given: x, then gamma and beta where present."""
    grads: tuple[Any, ...] = (dx,)
    if ctx.weight_shape is not None:
        grads += (dw,)
    if ctx.bias_shape is not None:
        grads += (db,)
    return grads


class BatchNorm(Normalize):
    """Batch norm (``F.batch_norm``): ``Normalize`` with a statistic per channel, over the
    batch and the spatial dims; in evaluation mode the running statistics (``fixed``)."""


class InstanceNorm(Normalize):
    """Instance norm (``F.instance_norm``): ``Normalize`` with a statistic per sample and
    channel."""


class GroupNorm(Normalize):
    """Group norm (``F.group_norm``): ``Normalize`` with a statistic per sample and group of
    channels; gamma and beta per channel."""


class LayerNorm(Normalize):
    """Layer norm (``F.layer_norm``): ``Normalize`` with a statistic per row over the
    normalized (last) dims; gamma and beta per element of those dims."""

    fold_affine = False


def channel_plan(shape: tuple[int, ...], groups: int, per_sample: bool) -> Plan:
    """The plan of an (N, C, *S) input with ``groups`` groups of channels (C for batch and
    instance norm)."""
    n, c = shape[0], shape[1]
    return Plan((n, groups, c // groups if groups else 0, math.prod(shape[2:])), per_sample)


def row_plan(shape: tuple[int, ...], normalized: int) -> Plan:
    """The plan of layer norm over the last ``normalized`` dims of ``shape``."""
    return Plan((math.prod(shape[:-normalized]), 1, math.prod(shape[-normalized:]), 1), True)
