"""The Python half of the browser's computation worker (``web/worker.js``).

The worker imports this module once Pyodide, NumPy and descentlab are loaded and calls
only the functions below. Each returns JSON text, never a Python object: JavaScript then
holds no PyProxy that would have to be destroyed by hand. A run's generator stays here,
in ``_RUNS``, keyed by the id the page gave the run.

Long lists of floats (paths, losses, embeddings) do not travel as JSON text: printing
and parsing ~10^4 shortest-repr floats costs more than computing a landscape scene. They
go as one buffer of raw IEEE-754 bytes instead (``take_blob``), which the worker turns
back into arrays (``unpackFloats`` in ``web/worker.js``). Both ways every float arrives
bit for bit.

The page has two kinds of worker (``web/api.js``): the main one (and its helpers), which
never runs learner code, and the **code worker**, which runs specs carrying a learner's
optimizer (``{"name": "custom", "code": ...}``) after it removed its own network and
storage access. The worker passes ``code=True`` in the code worker: runs then allow
learner code, and calls are those of :data:`CODE_CALLS` instead of :data:`ALLOWED_CALLS`.

Protocol, as the worker uses it::

    start(run_id, spec_json, code=False)  -> {"ok": true} | {"error": {...}}
    step(run_id)              -> {"chunk": progress item or {"result": ...}} | {"error": {...}}
                                 then take_blob() -> the float64 bytes that chunk refers to
    stop(run_id)              -> None (the generator is closed)
    call(name, args_json, code=False)
                              -> {"ok": value} | {"error": {...}}, name in ALLOWED_CALLS
                                 (CODE_CALLS when code)

An error is ``{"kind": "SpecError", "field", "message"}`` or ``{"kind": "Error", "message"}``.

A projection trains a network first. The worker remembers the last network training
(:data:`TRAINED`: a network run of the Network view, finished or stopped after an epoch, or a
projection's own), so a projection of the same network spec, or the next projection of it
with other t-SNE settings, takes its snapshots instead of training again. A run stopped after
epoch k is remembered as the training of its spec cut to k epochs (``network.stopped_spec``),
which it equals. Training is deterministic: the projection and its digest are the same
either way.
"""

from __future__ import annotations

import json
import math
import re
import traceback

import numpy as np

import descentlab
from descentlab import learner

#: The functions the page may call by name in the main worker (``descentlab.call`` in
#: ``web/api.js``). The worker reads this tuple and refuses any other name before it
#: reaches Python; ``call`` refuses them again. ``trace`` here follows built-in optimizers only.
ALLOWED_CALLS = ("list_catalog", "kernel_digests", "validate", "llm_prompt", "parse_llm_answer", "trace",
                 "exercises_list", "source_copy", "schedule_values")

#: The functions the page may call in the code worker (``descentlab.callCode``): they run
#: learner code, so the main worker refuses them.
CODE_CALLS = ("learner_describe", "exercises_list", "exercises_check", "trace", "validate")

#: Float lists shorter than this stay in the JSON text: a buffer reference costs more.
BINARY_MIN_FLOATS = 64

_RUNS: dict = {}     # run id -> the generator of descentlab.iter_run
_NETWORK_RUNS: dict = {}  # run id -> (spec JSON, code) of a network run, to remember its result
_BLOB = [b""]        # raw float64 bytes of the last chunk, until take_blob() fetches them


def start(run_id, spec_json: str, code: bool = False) -> str:
    """Validate a spec and keep its run's generator under ``run_id``.

    Parameters
    ----------
    run_id : int or str
        The page's id of the run.
    spec_json : str
        The spec as JSON text (the worker writes -0.0 with its sign).
    code : bool
        True in the code worker: the spec may carry learner code. Elsewhere such a
        spec is a SpecError naming ``optimizers[i].code`` and nothing of the code runs.

    Returns
    -------
    str
        ``{"ok": true}``, or ``{"error": ...}`` when the spec is refused.
    """
    try:
        spec = json.loads(spec_json)
        kind = spec.get("kind") if isinstance(spec, dict) else None
        if kind == "projection":
            _lend_trained()
        if kind == "network":
            stopped: list = []
            _RUNS[run_id] = _network_run(spec, bool(code), stopped)
            _NETWORK_RUNS[run_id] = (spec_json, bool(code), stopped)
        else:
            _RUNS[run_id] = descentlab.iter_run(spec, arrays=True, allow_code=bool(code))
        return _dumps({"ok": True})
    except Exception as e:
        return _dumps({"error": _error(e)})


def step(run_id) -> str:
    """The next chunk of run ``run_id``: a progress item, or finally ``{"result": ...}``.

    Long float arrays in the chunk are replaced by ``{"$f64": [offset, *shape]}``
    references into the bytes that :func:`take_blob` returns next. A run that ends, by a
    result or an error, is forgotten.

    Returns
    -------
    str
        ``{"chunk": ...}`` or ``{"error": ...}``.
    """
    gen = _RUNS.get(run_id)
    if gen is None:
        return _dumps({"error": {"kind": "Error", "message": "no such run"}})
    try:
        chunk = next(gen)
    except StopIteration:
        _forget(run_id)
        return _dumps({"error": {"kind": "Error", "message": "iter_run ended without a result"}})
    except Exception as e:
        _forget(run_id)
        return _dumps({"error": _error(e)})
    if isinstance(chunk, dict) and "result" in chunk:
        network_run = _NETWORK_RUNS.get(run_id)
        _forget(run_id)
        gen.close()
        if network_run is not None:
            TRAINED.put_spec(*network_run[:2], chunk["result"])
    return dumps_packed({"chunk": chunk})


def stop(run_id) -> None:
    """Forget run ``run_id`` (cancelled by the page); closing its generator frees its work.

    A network run stopped after epoch k >= 1 is remembered in :data:`TRAINED` as the training
    of its spec cut to k epochs (``network.stopped_spec``, which the Network view hands the
    Projection view), so a projection of it shows this run instead of training again.
    """
    gen = _RUNS.get(run_id)
    network_run = _NETWORK_RUNS.get(run_id)
    _forget(run_id)
    if network_run is not None:
        _remember_stopped(*network_run)
    if gen is not None:
        gen.close()


def _network_run(spec: dict, code: bool, stopped: list):
    """``descentlab.iter_run(spec, arrays=True)`` of a network spec, with ``network.iterate``'s
    ``stopped`` hook set (what the runs trained so far, for :func:`stop`)."""
    from descentlab import network
    from descentlab.digest import digest

    checked = descentlab.validate(spec, allow_code=code)
    for item in network.iterate(checked, stopped=stopped):
        if "result" in item:
            item["result"]["digest"] = digest(item["result"])
        yield item


def _remember_stopped(spec_json: str, code: bool, stopped: list) -> None:
    """Keep what a stopped network run trained up to its last finished epoch (none: nothing)."""
    if not stopped:
        return
    try:
        from descentlab import network

        partial = stopped[0]()
        k = partial["stopped_after_epoch"]
        if k < 1:
            return
        cut = network.stopped_spec(json.loads(spec_json), k, partial["snapshot_every"], partial["steps_per_epoch"])
        TRAINED.put(descentlab.validate(cut, allow_code=code), partial, stopped_after_epoch=k)
    except Exception:  # noqa: BLE001 - remembering is an optimisation only
        pass


def _forget(run_id) -> None:
    _RUNS.pop(run_id, None)
    _NETWORK_RUNS.pop(run_id, None)


class TrainedNetworks:
    """The last few finished network trainings, by their validated network spec.

    What a projection needs of each run (``projection.TRAINED``): its snapshots and final
    weights as float64 arrays (a third of the memory of lists; the projection stacks them
    into the same array either way), its name, label, colour, ``diverged_at`` and
    ``snapshot_steps``. At most ``keep`` trainings are held, the newest last: one of
    3,000,000 snapshot floats (``network.MAX_SNAPSHOT_FLOATS``) is 24 MB.

    Parameters
    ----------
    keep : int
        How many trainings to hold (at least 1).
    """

    def __init__(self, keep: int):
        self.keep = keep
        self.entries: list = []  # [(key, {"runs": [...]})], oldest first

    @staticmethod
    def key(net: dict) -> str:
        """The canonical JSON text of a validated network spec (keys sorted, floats exact)."""
        return json.dumps(net, sort_keys=True, separators=(",", ":"), default=_plain)

    def get(self, net: dict):
        """The training of validated network spec ``net``, or None."""
        key = self.key(net)
        for k, trained in self.entries:
            if k == key:
                return trained
        return None

    def put(self, net: dict, result: dict, stopped_after_epoch: int | None = None) -> None:
        """Remember ``result`` (a network result, or the projection's training of ``net``);
        ``stopped_after_epoch``: it is a longer run stopped after that epoch (``net`` is its spec
        cut to that many epochs, whose training it equals), so a projection can say so."""
        runs = [{"name": r["name"], "label": r.get("label"), "color": r.get("color"),
                 "diverged_at": r["diverged_at"], "snapshot_steps": list(r["snapshot_steps"]),
                 "snapshots": np.asarray(r["snapshots"], dtype=np.float64),
                 "weights": np.asarray(r["weights"], dtype=np.float64)} for r in result["runs"]]
        key = self.key(net)
        self.entries = [e for e in self.entries if e[0] != key][-(self.keep - 1):] if self.keep > 1 else []
        self.entries.append((key, {"runs": runs, "stopped_after_epoch": stopped_after_epoch}))

    def put_spec(self, spec_json: str, code: bool, result: dict) -> None:
        """Remember the result of the network spec ``spec_json`` as the page sent it (it is
        validated again for its key). Never fails: a training not remembered is retrained."""
        try:
            self.put(descentlab.validate(json.loads(spec_json), allow_code=code), result)
        except Exception:  # noqa: BLE001 - remembering is an optimisation only
            pass

    def clear(self) -> None:
        self.entries = []


#: How many finished network trainings a worker keeps for projections (see TrainedNetworks).
TRAINED_KEEP = 1
TRAINED = TrainedNetworks(TRAINED_KEEP)


def _lend_trained() -> None:
    """Let projections take their network from :data:`TRAINED`, and give it theirs
    (projection is imported on a projection's first run only: it is not needed before)."""
    from descentlab import projection

    projection.TRAINED = TRAINED


def call(name: str, args_json: str, code: bool = False) -> str:
    """The page's call of ``name(*args)``: a name in :data:`ALLOWED_CALLS`, or in
    :data:`CODE_CALLS` when ``code`` (the code worker).

    Returns
    -------
    str
        ``{"ok": value}`` or ``{"error": ...}`` (a name not allowed is an error too).
    """
    try:
        allowed = CODE_CALLS if code else ALLOWED_CALLS
        if name not in allowed:
            where = "the code worker (descentlab.call)" if code else "the page (descentlab.callCode runs learner code)"
            raise ValueError(f"descentlab.{name} cannot be called from {where}"
                             if name in ALLOWED_CALLS + CODE_CALLS else f"descentlab.{name} cannot be called from the page")
        args = json.loads(args_json)
        if not isinstance(args, list):
            raise ValueError("args must be a list")
        fn = _CALLS.get(name) or getattr(descentlab, name)
        if name in _CODE_AWARE:
            return _dumps({"ok": fn(*args, allow_code=bool(code))})
        return _dumps({"ok": fn(*args)})
    except Exception as e:
        return _dumps({"error": _error(e)})


def learner_describe(code) -> dict:
    """What the page needs to show learner code's controls, or its first error.

    Returns
    -------
    dict
        ``{"hyper": {name: default} of update's keyword arguments, "error": None}``, or
        ``{"hyper": {}, "error": {"line": n or None, "message": text}}`` when the code does
        not compile, lacks ``init``/``update``, or its module body fails (budgeted, like a run).
    """
    try:
        compiled = learner.compile_optimizer(code)
    except learner.LearnerError as e:
        return {"hyper": {}, "error": {"line": e.line, "message": e.message}}
    return {"hyper": dict(compiled.defaults), "error": None}


_LINE = re.compile(r"^line (\d+): ")


def exercises_check(exercise_id, source) -> dict:
    """:func:`descentlab.exercises.check`, plus ``"line"``: the learner's line its hint names, or None."""
    out = dict(descentlab.exercises.check(exercise_id, source))
    found = _LINE.match(out.get("hint") or "")
    out["line"] = int(found.group(1)) if found else None
    return out


def trace(spec, run=0, step=1, param=None, *, allow_code=False) -> dict:
    """:func:`descentlab.trace`; ``param`` (network specs) is passed only when given."""
    return descentlab.trace(spec, run, step, *([param] if param is not None else []), allow_code=allow_code)


# Calls that are not plain descentlab functions, and those that must know the worker's kind.
def source_copy(name, base=None, choices=None) -> str:
    """A built-in optimizer's source as learner code ("edit a copy"); text only, nothing runs.

    ``base``: SAM's base optimizer (a registered name; SGD when None); ``choices``: the
    entry's text defaults to write into the copy (``{"hessian_distribution": "rademacher"}``).
    A bad value is a SpecError naming ``name``, ``base`` or ``choices.<key>`` and what is allowed.
    """
    from descentlab.optimizers.copy import source_copy as copy_of

    return copy_of(name, base=base, choices=choices)


def schedule_values(schedule, base_lr, steps) -> list:
    """The lr of steps 1..steps under ``schedule`` (:func:`descentlab.schedules.values`): the page's lr(t) preview."""
    from descentlab import schedules

    return schedules.values(schedule, base_lr, steps)


_CALLS = {"learner_describe": learner_describe, "exercises_check": exercises_check, "trace": trace,
          "exercises_list": lambda: descentlab.exercises.list(), "source_copy": source_copy,
          "schedule_values": schedule_values}
_CODE_AWARE = {"trace", "validate"}


def take_blob() -> bytes:
    """The float64 bytes (little-endian) of the last packed chunk, once; then ``b""``."""
    blob, _BLOB[0] = _BLOB[0], b""
    return blob


def dumps_packed(obj) -> str:
    """JSON text of ``obj`` with its long float arrays moved to the blob (see :func:`pack`)."""
    arrays: list = []
    packed = pack(obj, arrays, [0])
    _BLOB[0] = np.concatenate(arrays).astype("<f8").tobytes() if arrays else b""
    return _dumps(packed)


def pack(o, arrays: list, count: list):
    """``o`` with each long, finite float array replaced by a reference into one buffer.

    A float64 ndarray, a list of floats or a list of float lists with at least
    :data:`BINARY_MIN_FLOATS` numbers, all finite, becomes ``{"$f64": [offset, *shape]}``
    and its values are appended to ``arrays``; ``count[0]`` is the offset so far.
    Anything else stays JSON: ints, bools, None, ragged lists, and lists holding a NaN
    (JSON writes that as null, which the page draws as a gap, never as a number).
    A list whose first item is a float is taken for numbers: results never mix booleans
    into a list of floats.

    Parameters
    ----------
    o : object
        A chunk, or a part of one.
    arrays : list of ndarray
        Flat float64 arrays collected so far, in buffer order (appended to).
    count : list of one int
        The number of floats in ``arrays`` (updated).
    """
    if isinstance(o, dict):
        return {k: pack(v, arrays, count) for k, v in o.items()}
    a = o if isinstance(o, np.ndarray) else _float_array(o)
    if a is not None and a.dtype == np.float64 and a.size >= BINARY_MIN_FLOATS and np.isfinite(a).all():
        ref = {"$f64": [count[0], *a.shape]}
        arrays.append(a.ravel())
        count[0] += a.size
        return ref
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (list, tuple)) and o and isinstance(o[0], (dict, list, tuple)):
        return [pack(v, arrays, count) for v in o]
    return o


def _float_array(o):
    """``o`` as an array when it is a non-empty list of floats or of float lists, else None."""
    if not isinstance(o, (list, tuple)) or not o:
        return None
    first = o[0]
    if type(first) is float or (isinstance(first, list) and first and type(first[0]) is float):
        try:
            return np.asarray(o)
        except ValueError:  # ragged
            return None
    return None


def _plain(o):
    """JSON for what the json module cannot write: NumPy scalars and arrays, should the
    core ever hand one back."""
    if hasattr(o, "tolist"):
        return o.tolist()
    raise TypeError(f"{type(o).__name__} is not JSON serializable")


def _finite(o):
    """``o`` with NaN and infinities as None: JSON has no such numbers, and JSON.stringify
    writes them as null too."""
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_finite(v) for v in o]
    return o


def _dumps(o) -> str:
    # The fast path fails only on a non-finite float; then the slow one maps them to null.
    try:
        return json.dumps(o, allow_nan=False, default=_plain)
    except ValueError:
        return json.dumps(_finite(json.loads(json.dumps(o, default=_plain))), allow_nan=False)


def _error(e: BaseException) -> dict:
    """An exception as the worker reports it: a SpecError names its field; anything else
    is its last traceback line (the type and message, no stack)."""
    if isinstance(e, descentlab.SpecError):
        return {"kind": "SpecError", "field": str(getattr(e, "field", "")),
                "message": str(getattr(e, "message", e))}
    lines = traceback.format_exception_only(type(e), e)
    last = lines[-1].strip() if lines else type(e).__name__
    return {"kind": "Error", "message": last}
