"""The local derivative of each op, read from its docstring: what a picture of backprop shows
beside an op (the graph's tooltips and labels, the backward explorer).

Every op (a ``Function`` subclass) states its formula and derivative in the first paragraph
of its docstring (``z = a * b.   dz/da = b,  dz/db = a.``). Where that paragraph only says
what the op computes, the derivative follows in a later paragraph, or the op inherits it
(``Amax`` from ``_Extreme``, ``Flatten`` from ``Reshape``). ``formula(node)`` puts the two
together, as plain text (the double-backquote markup removed, one line per docstring line)::

    formula(Mul)            # 'z = a * b.   dz/da = b,  dz/db = a.'
    formula(loss.grad_fn)   # a node works as well as its class
"""

from __future__ import annotations

import inspect
import re
import textwrap

from ..autograd.graph import AccumulateGrad, Node

__all__ = ["ACCUMULATE", "formula", "has_derivative"]

# d<something>/d<something>: dz/dx, dL/dA, dz_i/dx_j, dL/dx[j], dvar/dx, dL_n/dx_n
_DERIVATIVE = re.compile(r"\bd[\w\[\],]*\s*/\s*d\w")
# A sentence ends at a period followed by white space, unless the period ends an
# abbreviation ("e.g. the"); markup is still in the text then ("``backward`` recomputes").
_AFTER_PERIOD = re.compile(r"(?<=\.)\s+(?=\S)")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "cf.", "vs.")

ACCUMULATE = ("leaf.grad += g   (a leaf adds up the gradient of every use: "
              "dL/dleaf = the sum of the g arriving)")


def has_derivative(text: str) -> bool:
    """Whether ``text`` states a derivative (``d…/d…``)."""
    return _DERIVATIVE.search(text) is not None


def formula(node_or_function_class: Node | type[Node]) -> str:
    """The local derivative of an op, for a node (``loss.grad_fn``) or its class (``Mul``).

    The op's docstring's first paragraph; when that has no derivative (no ``d…/d…``), the
    derivative lines of a later paragraph (or of the class it inherits from) follow it. An
    ``AccumulateGrad`` (a leaf) gives ``"leaf.grad += g ..."``. An op with no docstring gives
    ``""``.
    """
    cls = node_or_function_class if isinstance(node_or_function_class, type) \
        else type(node_or_function_class)
    if not issubclass(cls, Node):
        raise TypeError(f"formula: expected a graph node (a grad_fn) or a Function class, got "
                        f"{type(node_or_function_class).__name__}")
    return _formula_of(cls)


_known: dict[type, str] = {}  # class -> its formula (docstrings do not change)


def _formula_of(cls: type) -> str:
    text = _known.get(cls)
    if text is None:
        text = _known[cls] = _compose(cls).replace("``", "")
    return text


def _compose(cls: type) -> str:
    if issubclass(cls, AccumulateGrad):
        return ACCUMULATE
    paragraphs = _paragraphs(cls)
    if not paragraphs:
        return _derivative_part(cls)
    head = paragraphs[0]
    if head.endswith(":") and len(paragraphs) > 1:  # "as PyTorch writes it:" + its block
        head += "\n" + paragraphs[1]
    if has_derivative(head):
        return head
    derivative = _derivative_part(cls)
    return f"{head}\n{derivative}" if derivative else head


def _derivative_part(cls: type) -> str:
    """The derivative stated in ``cls``'s own docstring, else inherited (MRO); ``""`` if none."""
    paragraphs = _paragraphs(cls)
    if paragraphs:
        head = paragraphs[0]
        found = _DERIVATIVE.search(head)
        if found:
            return head[found.start():]
        for paragraph in paragraphs[1:]:
            lines = _derivative_sentences(paragraph)
            if lines:
                return lines
    for base in cls.__mro__[1:]:
        if base is object or not issubclass(base, Node) or base in (Node,):
            continue
        if "__doc__" in base.__dict__ and base.__doc__:
            part = _derivative_part(base)
            if part:
                return part
    return ""


def _derivative_sentences(paragraph: str) -> str:
    """The run of sentences from the first one with a derivative while each has one
    (``dL/dx = G W, ...`` but not the remarks after it)."""
    kept: list[str] = []
    for sentence in _sentences(paragraph):
        if has_derivative(sentence):
            kept.append(sentence)
        elif kept:
            break
    return " ".join(kept)


def _sentences(paragraph: str) -> list[str]:
    sentences: list[str] = []
    for piece in _AFTER_PERIOD.split(paragraph):
        if sentences and sentences[-1].endswith(_ABBREVIATIONS):
            sentences[-1] += " " + piece
        else:
            sentences.append(piece)
    return sentences


def _paragraphs(cls: type) -> list[str]:
    """The class's own docstring (not an inherited one) as dedented paragraphs."""
    doc = cls.__dict__.get("__doc__")
    if not isinstance(doc, str) or not doc.strip():
        return []
    text = inspect.cleandoc(doc)
    paragraphs = [textwrap.dedent(p).strip("\n") for p in re.split(r"\n\s*\n", text)]
    return ["\n".join(line.rstrip() for line in p.splitlines()) for p in paragraphs if p.strip()]
