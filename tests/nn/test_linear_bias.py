"""F.linear with a bias that broadcasts to the output without being the (out,) vector, as
PyTorch allows: values and gradients as torch's; a bias that does not fit is one clear error,
the same with and without tg.unfused()."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F

CASES = [((4, 3), (1, 2)), ((4, 3), (4, 2)), ((5, 4, 3), (5, 1, 2)), ((5, 4, 3), (4, 2)),
         ((4, 3), ()), ((4, 3), (1,)), ((4, 3), (2,))]


@pytest.mark.parametrize("x_shape,bias_shape", CASES)
@pytest.mark.parametrize("unfused", [False, True])
def test_broadcast_bias_matches_torch(x_shape, bias_shape, unfused):
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=x_shape), rng.normal(size=(2, 3)), rng.normal(size=bias_shape)
    ours = [tg.tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    if unfused:
        with tg.unfused():
            out = F.linear(*ours)
    else:
        out = F.linear(*ours)
    ref = torch.nn.functional.linear(*theirs)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-12)
    (out * out).sum().backward()
    (ref * ref).sum().backward()
    for a, t in zip(ours, theirs, strict=True):
        assert a.grad.shape == t.grad.shape
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("unfused", [False, True])
def test_a_bias_that_does_not_fit_is_one_clear_error(unfused):
    x, w, b = tg.randn(2, 3), tg.randn(2, 3), tg.randn(3)
    with pytest.raises(ValueError, match=r"a bias of shape \(3,\) does not broadcast to the "
                                         r"output's shape \(2, 2\)"):
        if unfused:
            with tg.unfused():
                F.linear(x, w, b)
        else:
            F.linear(x, w, b)
