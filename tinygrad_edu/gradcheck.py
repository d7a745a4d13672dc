"""Check analytic gradients against central finite differences in float64.

For f: inputs -> output, backward() computes v^T J (J the Jacobian, v a cotangent of the
output's shape). Here v is a fixed random vector, so one backward checks every input element:
the numeric side perturbs each element by +-eps and takes
(sum(v * f(x + eps)) - sum(v * f(x - eps))) / (2 eps), which matches v^T J to O(eps^2).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .autograd import no_grad
from .tensor import Tensor


class GradcheckError(AssertionError):
    """Analytic and numeric gradients disagree; the message names the worst element."""


def _scalar_objective(output: Tensor, cotangent: np.ndarray) -> float:
    return float(np.sum(output._data.astype(np.float64) * cotangent))


def gradcheck(
    fn: Callable[..., Tensor],
    *inputs: Tensor,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """True if ``fn``'s autograd gradients match central differences for every input that
    requires grad; otherwise raise ``GradcheckError`` (or return False) naming the worst element.

    Inputs must be float64: with float32, an eps small enough for a good difference quotient
    is swamped by rounding, so the check would say nothing.
    """
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(
                f"gradcheck: input {i} has dtype {inputs[i].dtype}; finite differences need "
                "float64 inputs (use .double())"
            )

    for i in checked:
        inputs[i].grad = None
    output = fn(*inputs)
    if not isinstance(output, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(output).__name__}")
    cotangent = np.random.default_rng(seed).standard_normal(output.shape)
    if output.requires_grad:
        output.backward(cotangent)

    worst: tuple[float, str] = (-1.0, "")
    for i in checked:
        x = inputs[i]
        analytic = np.zeros(x.shape) if x.grad is None else x.grad._data.astype(np.float64)
        numeric = np.zeros(x.shape)
        if not (x._data.flags.c_contiguous and x._data.flags.writeable):
            x._data = x._data.copy()
        flat = x._data.reshape(-1)  # a view: perturbing it perturbs x
        with no_grad():
            for k in range(flat.size):
                original = flat[k]
                flat[k] = original + eps
                plus = _scalar_objective(fn(*inputs), cotangent)
                flat[k] = original - eps
                minus = _scalar_objective(fn(*inputs), cotangent)
                flat[k] = original
                numeric.reshape(-1)[k] = (plus - minus) / (2 * eps)
        error = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
        if error.size and error.max() > worst[0]:
            k = int(np.argmax(error))
            where = np.unravel_index(k, x.shape) if x.ndim else ()
            worst = (
                float(error.max()),
                f"input {i} (shape {x.shape}) at index {tuple(int(j) for j in where)}: "
                f"analytic {analytic.reshape(-1)[k]:.8g} vs numeric {numeric.reshape(-1)[k]:.8g}",
            )
    if worst[0] > 0:
        if raise_exception:
            raise GradcheckError(f"gradcheck failed: {worst[1]} (atol={atol}, rtol={rtol})")
        return False
    return True
