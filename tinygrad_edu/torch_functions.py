"""The ``tg.<name>(input, ...)`` forms of Tensor methods, as ``torch.sum(x, 1)`` is
``x.sum(1)``.

PyTorch has most of its Tensor methods also as functions with the tensor first (named
``input``). Rather than write each by hand, ``method_functions()`` takes the list of those
PyTorch names below and, for each one that ``Tensor`` has as a method, makes the function
``name(input, *args, **kwargs) -> input.name(*args, **kwargs)`` with the method's docstring.
A method added to ``Tensor`` later gets its ``tg.`` form with no other change, as long as
PyTorch has the name in this list. ``out=`` is refused (results are always new tensors), and
``input`` must be a Tensor, as in PyTorch (``tg.exp(2.0)`` is a TypeError there too).

Functions whose PyTorch form is not "the method with input first" are written out in
``functions.py`` (``where``, ``cat``, ``stack``...) and take precedence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .tensor import Tensor

# torch.<name> for which torch.Tensor.<name> is the same call with the tensor first (taken
# from torch 2.13: every public callable in both namespaces, minus quantization/sparse
# internals, removed functions, properties (real, imag), and ``where`` and ``polygamma``,
# whose methods take their arguments in another order: torch.where(condition, input, other),
# torch.polygamma(n, input))
TORCH_METHOD_FUNCTIONS: tuple[str, ...] = tuple("""
abs abs_ absolute acos acos_ acosh acosh_ add addbmm addcdiv addcmul addmm addmv addmv_ addr
adjoint all allclose amax amin aminmax angle any arccos arccos_ arccosh arccosh_ arcsin arcsin_
arcsinh arcsinh_ arctan arctan2 arctan_ arctanh arctanh_ argmax argmin argsort argwhere asin
asin_ asinh asinh_ atan atan2 atan_ atanh atanh_ baddbmm bernoulli bincount bitwise_and
bitwise_left_shift bitwise_not bitwise_or bitwise_right_shift bitwise_xor bmm broadcast_to ceil
ceil_ cholesky cholesky_inverse cholesky_solve chunk clamp clamp_ clamp_max clamp_max_ clamp_min
clamp_min_ clip clip_ clone conj copysign corrcoef cos cos_ cosh cosh_ count_nonzero cov cross
cummax cummin cumprod cumsum deg2rad deg2rad_ det detach detach_ diag diag_embed diagflat
diagonal diff digamma dist div divide dot dsplit eq equal erf erf_ erfc erfc_ erfinv exp exp2 exp2_
exp_ expm1 expm1_ fill_ fix fix_ flatten flip fliplr flipud float_power floor floor_ floor_divide
fmax fmin fmod frac frac_ frexp gather gcd gcd_ ge ger greater greater_equal gt hardshrink
heaviside histc hsplit hypot i0 i0_ igamma igammac index_add index_copy index_fill
index_put index_put_ index_reduce index_select inner inverse is_complex is_floating_point
is_nonzero is_same_size is_signed isclose isfinite isinf isnan isneginf isposinf isreal kron
kthvalue lcm lcm_ ldexp ldexp_ le lerp less less_equal lgamma log log10 log10_ log1p log1p_ log2
log2_ log_ log_softmax logaddexp logaddexp2 logcumsumexp logdet logical_and logical_not
logical_or logical_xor logit logit_ logsumexp lt lu lu_solve masked_fill masked_scatter
masked_select matmul matrix_exp matrix_power max maximum mean median min minimum mm mode
moveaxis movedim msort mul multinomial multiply mv mvlgamma nan_to_num nan_to_num_ nanmean
nanmedian nanquantile nansum narrow narrow_copy ne neg neg_ negative negative_ nextafter nonzero
norm not_equal numel outer permute pinverse positive pow prelu prod put qr quantile
rad2deg rad2deg_ ravel reciprocal reciprocal_ relu relu_ remainder renorm repeat_interleave
reshape resolve_conj resolve_neg roll rot90 round round_ rsqrt rsqrt_ scatter scatter_add
scatter_reduce select select_scatter sgn sigmoid sigmoid_ sign signbit sin sin_ sinc sinc_ sinh
sinh_ slice_scatter slogdet softmax sort split split_with_sizes sqrt sqrt_ square square_ squeeze
std sub subtract sum svd swapaxes swapdims t take take_along_dim tan tan_ tanh tanh_ tensor_split
tile topk trace transpose tril triu true_divide trunc trunc_ unbind unflatten unique
unique_consecutive unsqueeze var vdot vsplit xlogy xlogy_ zero_
""".split())


def _function_form(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    def function(input: Tensor, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("out") is not None:
            raise TypeError(f"{name}(): out= is not supported (tinygrad_edu always returns a "
                            f"new tensor: write y = {name}(x, ...))")
        kwargs.pop("out", None)
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' must be Tensor, not "
                            f"{type(input).__name__}")
        return getattr(input, name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__module__ = "tinygrad_edu"
    function.__doc__ = (f"``{name}(input, ...)`` is ``input.{name}(...)``.\n\n"
                        + (method.__doc__ or ""))
    return function


def method_functions() -> dict[str, Callable[..., Any]]:
    """``{name: function}`` for every name in ``TORCH_METHOD_FUNCTIONS`` that ``Tensor`` has as
    a method (properties are not methods, so none of them is turned into a function)."""
    out = {}
    for name in TORCH_METHOD_FUNCTIONS:
        method = getattr(Tensor, name, None)
        if callable(method):
            out[name] = _function_form(name, method)
    return out
