"""'Edit a copy': a built-in optimizer's code in the form a learner writes (see ``learner.py``).

The copy holds the module's own source, unchanged line for line: the state
class, ``init``, ``update`` and whatever they use that the learner's namespace
lacks (a helper like NAdam's ``momentum_schedule``, a constant).  An ``update``
that calls another optimizer's (AdamW calls Adam's, momentum calls SGD's) gets
that function too, renamed ``adam_update``; a class or helper of a sibling keeps its
own name (Muon's ``adam.AdamState`` is ``AdamState``); an ``init`` borrowed from another
module is copied from it.  The arithmetic is the same in the same order, so the
copy races bit for bit like the original.

A copy of SAM is SAM's ``probe`` over the copy of its base optimizer (the learner's
contract: the loop steps ``update`` with the gradient at ``params + probe(...)``).  A
copy of Sophia carries ``wants_hessian``; Muon's ``init`` takes the network's
``blocks``, as the built-in's does.  A text default of ``update`` (Sophia's
``hessian_distribution``, Muon's ``adjust_lr_fn``) is fixed by the code, not a
hyper-parameter of the entry: ``choices`` writes the entry's into the copied signature.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
import textwrap

from .. import learner
from ..errors import SpecError

_GIVEN = set(learner.namespace())  # np, K, NamedTuple, bias_correction: available without a copy
_DROP_DECORATORS = {"lru_cache"}  # a cache changes time, never bits; the learner has no functools
# The names the loop reads in learner code: a sibling's function of such a name is renamed
# (adamw's adam.update -> adam_update) so it cannot replace the copy's own.
_CONTRACT = ("init", "update", "probe", "wants_hessian")

SAM_BASE = "sgd"  # a copy of SAM without a base names: the catalog's default base
# A parameter of SAM's probe that the base's update also names (Adadelta's rho) is renamed
# with this prefix in the copy, so each function keeps its own value (web/lib/optlist.js
# prefills the copy's hyper-parameters by the same rule).
PROBE_PREFIX = "sam_"


def copyable(name: str) -> bool:
    """Whether "Edit a copy" offers optimizer ``name``: every registered and every extra one (Sophia's
    update takes the loop's Hessian, SAM's probe gives the point whose gradient update steps with,
    Muon's init takes the network's weight blocks: the learner contract passes each)."""
    from . import EXTRA, REGISTRY

    return name in REGISTRY or name in EXTRA


def source_copy(name: str, base: str | None = None, choices: dict | None = None) -> str:
    """The source of optimizer ``name`` as self-contained learner code.

    Parameters
    ----------
    name : str
        A registered optimizer or an extra one (``optimizers.EXTRA``).
    base : str, optional
        SAM's base optimizer, a registered one (:data:`SAM_BASE` when omitted); the copy
        is SAM's ``probe`` and the base's ``init``/``update``.  Only SAM takes one.
    choices : dict, optional
        Text defaults of the copied ``update`` (or ``probe``) to write into its signature,
        e.g. ``{"hessian_distribution": "rademacher"}``: the entry's choice, which learner
        code fixes in its text (see ``learner._hyper_defaults``).

    Raises
    ------
    SpecError
        Naming ``name``, ``base`` or ``choices.<key>``, with what is allowed.
    """
    from . import EXTRA, REGISTRY

    if not isinstance(name, str) or not copyable(name):
        raise SpecError("name", f"must be one of {', '.join([*REGISTRY, *EXTRA])}, got {name!r}")
    if name == "sam":
        base = SAM_BASE if base is None else base
        if not isinstance(base, str) or base not in REGISTRY:
            raise SpecError("base", f"SAM's base must be a registered optimizer: one of {', '.join(REGISTRY)},"
                                    f" got {base!r}")
        text = _sam_copy(base)
    elif base is not None:
        raise SpecError("base", f"only SAM steps with a base optimizer; {name} takes none")
    else:
        module, title = (REGISTRY[name].module, REGISTRY[name].title) if name in REGISTRY else \
            (EXTRA[name], EXTRA[name].TITLE)
        blocks: dict = {}  # name in the copy -> source text, in order of first need
        if hasattr(module, "wants_hessian"):  # Sophia: the loop asks it when to pass a Hessian
            _need(module, "wants_hessian", "wants_hessian", blocks)
        _need(module, "update", "update", blocks)
        _need(module, "init", "init", blocks)
        header = f"# A copy of Descent Lab's {title} ({module.__name__}): edit it, give it a label, race it.\n"
        text = header + _joined(blocks)
    return _with_choices(text, choices or {}, name, base)


def _joined(blocks: dict) -> str:
    """The blocks, each after what it needs (they were collected needs last)."""
    return "\n\n".join(reversed(list(blocks.values()))) + "\n"


def _sam_copy(base: str) -> str:
    """SAM's ``probe`` (its own source), then the copy of ``base`` that steps with the probe's gradient."""
    from . import REGISTRY, sam

    info = REGISTRY[base]
    blocks: dict = {}
    _need(info.module, "update", "update", blocks)
    _need(info.module, "init", "init", blocks)
    probe: dict = {}
    _need(sam, "probe", "probe", probe)
    text = probe.pop("probe")
    # the base's update would be given SAM's value of a shared name (Adadelta's rho): SAM's gets a prefix
    for clash in sorted(learner.keywords(sam.probe, 2) & set(info.defaults)):
        text = re.sub(rf"\b{clash}\b", PROBE_PREFIX + clash, text)
    header = (f"# A copy of Descent Lab's {sam.TITLE} over {info.title}: edit it,\n"  # short lines: a phone shows ~40
              f"# give it a label, race it.\n"
              f"# {sam.TITLE}: {sam.__name__}\n"
              f"# {info.title}: {info.module.__name__}\n"
              f"# Each step, the loop calls probe for the offset ε,\n"
              f"# then gives update the gradient at params + ε.\n")
    between = f"# The base optimizer, {info.title}: it steps from params with the gradient at the probe point.\n"
    return header + (_joined(probe) + "\n\n" if probe else "") + text + "\n\n\n" + between + _joined(blocks)


def _with_choices(text: str, choices: dict, name: str, base: str | None) -> str:
    """``text`` with the text default of each ``choices`` key in ``update``/``probe`` replaced by its value."""
    if not isinstance(choices, dict):
        raise SpecError("choices", f"must be an object of text defaults, e.g. {{\"hessian_distribution\":"
                                   f" \"rademacher\"}}, got {type(choices).__name__}")
    if not choices:
        return text
    tree = ast.parse(text)
    slots = {}  # name -> the str default's node, in update or probe
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in ("update", "probe"):
            args = node.args.posonlyargs + node.args.args
            pairs = list(zip(args[len(args) - len(node.args.defaults):], node.args.defaults))
            pairs += [(a, d) for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults) if d is not None]
            slots.update((a.arg, d) for a, d in pairs if isinstance(d, ast.Constant) and isinstance(d.value, str))
    lines = text.splitlines(keepends=True)
    for key in sorted(choices, key=lambda k: (slots[k].lineno, -slots[k].col_offset) if k in slots else (0, 0),
                      reverse=True):  # from the end, so earlier positions stay valid
        value = choices[key]
        if key not in slots:
            known = ", ".join(sorted(slots)) or "none"
            raise SpecError(f"choices.{key}", f"is not a text default of this copy's update (it has: {known})")
        allowed = _allowed(name, base, key)
        if not isinstance(value, str) or (allowed is not None and value not in allowed):
            shown = ", ".join(allowed) if allowed is not None else "a text"
            raise SpecError(f"choices.{key}", f"must be one of {shown}, got {value!r}")
        node = slots[key]
        if node.lineno != node.end_lineno:  # pragma: no cover - a str default spans one line in our sources
            raise SpecError(f"choices.{key}", "cannot be rewritten")
        row = lines[node.lineno - 1]
        start, end = _char_offsets(row, node.col_offset, node.end_col_offset)
        lines[node.lineno - 1] = row[:start] + repr(value).replace("'", '"') + row[end:]
    return "".join(lines)


def _char_offsets(row: str, start: int, end: int) -> tuple:
    """ast's UTF-8 byte offsets in ``row`` as character offsets."""
    raw = row.encode("utf-8")
    return len(raw[:start].decode("utf-8")), len(raw[:end].decode("utf-8"))


def _allowed(name: str, base: str | None, key: str):
    """The choices the module's RANGES allow for ``key`` (the optimizer's, or SAM's base's), or None."""
    from . import EXTRA, REGISTRY

    for n in (name, base):
        module = REGISTRY[n].module if n in REGISTRY else EXTRA.get(n)
        spec = getattr(module, "RANGES", {}).get(key) if module is not None else None
        if spec is not None and spec[2] == "choice":
            return tuple(spec[0])
    return None


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
        for sub in ast.walk(node):  # a sibling optimizer's: adam.update(...) -> adam_update(...)
            if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
                sibling = getattr(module, sub.value.id, None)
                if inspect.ismodule(sibling) and sibling.__name__.startswith(__package__):
                    renames[f"{sub.value.id}.{sub.attr}"] = _sibling_name(module, sibling, sub.value.id, sub.attr)
        text = _drop_decorators(text, node)
        if as_name != obj.__name__:
            keyword = "class" if inspect.isclass(obj) else "def"
            text = re.sub(rf"^{keyword} {obj.__name__}\b", f"{keyword} {as_name}", text, count=1, flags=re.M)
        for old, new in renames.items():
            text = re.sub(rf"\b{re.escape(old)}\b", new, text)
        blocks[as_name] = text.rstrip("\n")
        for old, new in renames.items():
            sibling_name, attr_name = old.split(".")
            _need(getattr(module, sibling_name), attr_name, new, blocks)
        for name in sorted(_names(node) - _GIVEN - {as_name}):
            if _defined_here(module, name):
                _need(module, name, name, blocks)
    elif isinstance(obj, (int, float, str, tuple)):  # a module constant the code uses
        blocks[as_name] = f"{as_name} = {obj!r}"


def _sibling_name(module, sibling, alias: str, attr: str) -> str:
    """The name in the copy of ``alias.attr``: ``adam_update`` for a function of the contract's
    names or one ``module`` has of its own, else ``attr`` (a class such as ``AdamState``)."""
    own = getattr(module, attr, None)
    if attr in _CONTRACT or (own is not None and own is not getattr(sibling, attr)):
        return f"{alias}_{attr}"
    return attr


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
    if isinstance(obj, tuple):  # Muon's NS_COEFFICIENTS
        return all(isinstance(v, (int, float, str)) and not isinstance(v, bool) for v in obj)
    return isinstance(obj, (int, float, str)) and not isinstance(obj, bool)


def _drop_decorators(text: str, node) -> str:
    lines = text.splitlines()
    drop = {d.lineno - 1 for d in getattr(node, "decorator_list", [])
            if any(isinstance(n, ast.Name) and n.id in _DROP_DECORATORS for n in ast.walk(d))}
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)
