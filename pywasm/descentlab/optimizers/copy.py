"""'Edit a copy': a built-in optimizer's code in the form a learner writes (see ``learner.py``).

The copy holds the module's own source, unchanged line for line: the state
class, ``init``, ``update`` and whatever they use that the learner's namespace
lacks (a helper like NAdam's ``momentum_schedule``, a constant).  An ``update``
that calls another optimizer's (AdamW calls Adam's, momentum calls SGD's) gets
that function too, renamed ``adam_update``; an ``init`` borrowed from another
module is copied from it.  The arithmetic is the same in the same order, so the
copy races bit for bit like the original.
"""

from __future__ import annotations

import ast
import inspect
import sys
import textwrap

from .. import learner

_GIVEN = set(learner.namespace())  # np, K, NamedTuple, bias_correction: available without a copy
_DROP_DECORATORS = {"lru_cache"}  # a cache changes time, never bits; the learner has no functools


# The extra optimizers a learner's code can copy: Sophia's update takes the loop's Hessian
# (learner.py passes it); SAM needs a probe gradient and Muon the weight matrices, which
# the learner's contract does not give.
COPYABLE_EXTRA = ("sophia",)
NOT_COPYABLE = {  # why the others offer no copy (shown next to them in the page)
    "sam": "SAM steps with the gradient at a probe point, which your code is not given",
    "muon": "Muon orthogonalises the network's weight matrices, which your code is not given",
}


def copyable(name: str) -> bool:
    """Whether "Edit a copy" offers optimizer ``name``: every registered one, and :data:`COPYABLE_EXTRA`."""
    from . import REGISTRY

    return name in REGISTRY or name in COPYABLE_EXTRA


def source_copy(name: str) -> str:
    """The source of registry optimizer ``name`` (or a :data:`COPYABLE_EXTRA` one) as self-contained learner code.

    A copy of Sophia also gets ``wants_hessian``: the loop asks it when to pass a Hessian.
    """
    from . import EXTRA, REGISTRY

    if name in REGISTRY:
        module, title = REGISTRY[name].module, REGISTRY[name].title
    else:
        module, title = EXTRA[name], EXTRA[name].TITLE
    blocks: dict = {}  # name in the copy -> source text, in order of first need
    if name in COPYABLE_EXTRA and hasattr(module, "wants_hessian"):
        _need(module, "wants_hessian", "wants_hessian", blocks)
    _need(module, "update", "update", blocks)
    _need(module, "init", "init", blocks)
    header = f"# A copy of Descent Lab's {title} ({module.__name__}): edit it, give it a label, race it.\n"
    return header + "\n\n".join(reversed(list(blocks.values()))) + "\n"


def _need(module, attr: str, as_name: str, blocks: dict) -> None:
    """Add ``module.attr`` (as ``as_name``) and, before it, what its source refers to."""
    if as_name in blocks or as_name in _GIVEN:
        return
    obj = getattr(module, attr)
    obj = getattr(obj, "__wrapped__", obj)  # a cached function: its own source
    owner = sys.modules[obj.__module__] if hasattr(obj, "__module__") and obj.__module__ in sys.modules else module
    if inspect.isfunction(obj) or inspect.isclass(obj):
        if owner is not module:  # e.g. momentum's init = sgd.init: copy it from where it is defined
            _need(owner, obj.__name__, as_name, blocks)
            return
        text = textwrap.dedent(inspect.getsource(obj))
        tree = ast.parse(text)
        node = tree.body[0]
        renames = {}
        for sub in ast.walk(node):  # calls into a sibling optimizer: adam.update(...) -> adam_update(...)
            if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
                sibling = getattr(module, sub.value.id, None)
                if inspect.ismodule(sibling) and sibling.__name__.startswith(__package__):
                    renames[f"{sub.value.id}.{sub.attr}"] = f"{sub.value.id}_{sub.attr}"
        text = _drop_decorators(text, node)
        if as_name != obj.__name__:
            text = text.replace(f"def {obj.__name__}(", f"def {as_name}(", 1)
        for old, new in renames.items():
            text = text.replace(old, new)
        blocks[as_name] = text.rstrip("\n")
        for old, new in renames.items():
            base, attr_name = old.split(".")
            _need(getattr(module, base), attr_name, new, blocks)
        for name in sorted(_names(node) - _GIVEN - {as_name}):
            if _defined_here(module, name):
                _need(module, name, name, blocks)
    elif isinstance(obj, (int, float, str, tuple)):  # a module constant the code uses
        blocks[as_name] = f"{as_name} = {obj!r}"


def _names(node) -> set:
    """Names the body reads (decorators left out: they are dropped or are the copy's business)."""
    parts = node.body if hasattr(node, "body") else [node]
    return {n.id for part in parts for n in ast.walk(part) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _defined_here(module, name: str) -> bool:
    """A function, class or constant of ``module`` itself (not an import such as ``lru_cache``)."""
    if not hasattr(module, name):
        return False
    obj = getattr(module, name)
    obj = getattr(obj, "__wrapped__", obj)
    if inspect.isfunction(obj) or inspect.isclass(obj):
        # its own, or a sibling optimizer's helper it imports (Sophia's lerp from adafactor)
        return obj.__module__ == module.__name__ or obj.__module__.startswith(__package__ + ".")
    return isinstance(obj, (int, float, str)) and not isinstance(obj, bool)


def _drop_decorators(text: str, node) -> str:
    lines = text.splitlines()
    drop = {d.lineno - 1 for d in getattr(node, "decorator_list", [])
            if any(isinstance(n, ast.Name) and n.id in _DROP_DECORATORS for n in ast.walk(d))}
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)
