"""viz.formulas: every op of the library states its local derivative."""

from __future__ import annotations

import pytest

import tinygrad_edu as tg
from tinygrad_edu.autograd.graph import AccumulateGrad, Function
from tinygrad_edu.ops import elementwise, linalg, reduce, shape
from tinygrad_edu.viz.formulas import formula, has_derivative


def _all_functions() -> list[type[Function]]:
    found: list[type[Function]] = []
    stack = list(Function.__subclasses__())
    while stack:
        cls = stack.pop()
        if cls not in found:
            found.append(cls)
            stack.extend(cls.__subclasses__())
    return [c for c in found if c.__module__.startswith("tinygrad_edu.")]


FUNCTIONS = _all_functions()


def test_the_library_has_many_ops() -> None:
    assert len(FUNCTIONS) > 100


@pytest.mark.parametrize("cls", FUNCTIONS, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_every_op_has_a_formula_with_a_derivative(cls: type[Function]) -> None:
    text = formula(cls)
    assert has_derivative(text), f"{cls.__qualname__}: {text!r}"
    assert "``" not in text


def test_first_paragraph_is_the_formula() -> None:
    assert formula(elementwise.Mul) == "z = a * b.   dz/da = b,  dz/db = a."


def test_derivative_from_a_later_paragraph_follows_the_first() -> None:
    text = formula(linalg.Linear)
    first, second = text.split("\n", 1)
    assert first == "y = x W^T + b (nn.Linear): one node instead of transpose, matmul and add."
    assert second == "dL/dx = G W,   dL/dW = G^T x,   dL/db = sum of G over all rows."


def test_derivative_inherited_from_the_base_class() -> None:
    assert formula(shape.Flatten) == ("flatten: a reshape that merges a range of dims.\n"
                                      "dL/dx = g reshaped back.")
    assert formula(reduce.Amax).startswith("z = max over axes of x (amax).\ndz/dx = [x == z]")


def test_a_node_gives_its_class_formula_and_a_leaf_accumulates() -> None:
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    z = a * 3.0
    assert formula(z.grad_fn) == formula(type(z.grad_fn))
    leaf = z.grad_fn.next_nodes[0]
    assert isinstance(leaf, AccumulateGrad)
    assert formula(leaf).startswith("leaf.grad += g") and has_derivative(formula(leaf))


def test_not_a_node_is_refused() -> None:
    with pytest.raises(TypeError, match="expected a graph node"):
        formula(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expected a graph node"):
        formula(int)  # type: ignore[arg-type]
