"""descentlab.trace: the optimizer's real code, re-run under a tracer, with the numbers each line computed."""

from __future__ import annotations

import ast
import inspect

import numpy as np
import pytest

import descentlab
from descentlab.errors import SpecError
from descentlab.optimizers import REGISTRY
from descentlab.tracing import trace

# every optimizer with each of its options switched away from the default
COMBOS = [(name, {}) for name in REGISTRY] + [
    ("sgd", {"weight_decay": 0.3}), ("momentum", {"dampening": 0.4}), ("momentum", {"ema": True}),
    ("momentum", {"weight_decay": 0.2}), ("nesterov", {"weight_decay": 0.1}),
    ("adagrad", {"lr_decay": 0.1, "initial_accumulator_value": 0.5, "weight_decay": 0.2}),
    ("rmsprop", {"centered": True}), ("rmsprop", {"momentum": 0.9}),
    ("rmsprop", {"centered": True, "momentum": 0.5, "weight_decay": 0.1}), ("adadelta", {"weight_decay": 0.3}),
    ("adam", {"weight_decay": 0.5}), ("adam", {"amsgrad": True}), ("adamw", {"amsgrad": True}),
    ("amsgrad", {"weight_decay": 0.2}), ("nadam", {"weight_decay": 0.5}), ("adamax", {"weight_decay": 0.3}),
    ("lion", {"weight_decay": 0.4}),
]
STEPS = (1, 2, 7)


def spec_for(name, hyper, steps=8):
    return {"kind": "landscape", "function": "booth", "start": [-3.0, 4.0], "steps": steps, "record_state": True,
            "optimizers": [{"name": "sgd", "lr": 0.01}, {"name": name, "lr": 0.05, **hyper}]}


def values_by_name(traced):
    """name -> the last value each traced line assigned to it (the optimizer's own update last)."""
    out = {}
    for line in traced["lines"]:
        out.update(line["values"])
    return out


@pytest.mark.parametrize("name, hyper", COMBOS, ids=lambda c: str(c))
def test_trace_equals_the_recorded_state_bit_for_bit(name, hyper):
    spec = spec_for(name, hyper)
    run = descentlab.run(spec)["runs"][1]
    for step in STEPS:
        t = trace(spec, run=1, step=step)
        updates, new_state = t["lines"][-1]["values"]["return"]
        assert np.array(updates).tobytes() == np.array(run["state"]["update"][step - 1]).tobytes()
        assert np.array(t["grads"]).tobytes() == np.array(run["state"]["grad"][step - 1]).tobytes()
        before, after = np.array(run["path"][step - 1]), np.array(run["path"][step])
        assert np.array(t["params"]).tobytes() == before.tobytes()
        assert (before + np.array(updates)).tobytes() == after.tobytes()
        names = values_by_name(t)
        for key, rows in run["state"].items():
            if key in ("grad", "update"):
                continue
            traced = new_state.get(key, names.get(key))
            assert traced is not None, f"{name}: recorded {key} is not a variable of the code"
            assert np.array(traced, dtype=np.float64).tobytes() == np.array(rows[step - 1]).tobytes(), (name, key)


def _line_value(source_line, env):
    """Evaluate the right-hand side of an assignment line in ``env`` (names as traced)."""
    node = ast.parse(source_line.strip()).body[0]
    return eval(compile(ast.Expression(node.value), "<line>", "eval"), env)  # noqa: S307 - our own source


@pytest.mark.parametrize("name, hyper", COMBOS, ids=lambda c: str(c))
def test_each_line_shows_what_it_computes(name, hyper):
    """Re-evaluate every traced assignment from the values traced before it: the same numbers."""
    from descentlab import kernels as K
    from descentlab.optimizers import base

    t = trace(spec_for(name, hyper), run=1, step=3)
    module = REGISTRY[name].module
    for entry in t["lines"]:
        text = t["source"][entry["line"] - 1].strip()
        assert text, "a traced line is blank"
        assert not text.startswith(("#", '"""', 'r"""')), text
    env = {"K": K, "bias_correction": base.bias_correction, "np": np}
    defs = [i + 1 for i, line in enumerate(t["source"]) if line.startswith("def update(")]
    calls = {}  # def line -> the hyper-parameters that function was called with
    for entry in t["lines"]:
        text = t["source"][entry["line"] - 1].strip()
        if text.startswith("def update("):  # a call: the hyper-parameters it received
            calls[entry["line"]] = entry["values"]
            continue
        own = calls[max(d for d in defs if d <= entry["line"])]
        if "=" not in text or text.startswith(("return", "if ")) or "," in text.split("=")[0]:
            continue
        target = text.split("=")[0].strip()
        if target not in entry["values"] or not target.isidentifier():
            continue
        got = entry["values"][target]
        if isinstance(got, dict):
            continue
        scope = {**vars(module), **env, **_arrays(t, entry), **own}
        assert np.allclose(np.asarray(_line_value(text, scope), dtype=float),
                           np.asarray(got, dtype=float), rtol=0, atol=0), (name, text)


def _arrays(t, upto):
    """The values traced before line ``upto`` (and the call's inputs), as arrays and numbers; a call's
    hyper-parameters come from the env (set at its def line)."""
    import types
    old = {k: np.array(v) if isinstance(v, list) else v for k, v in t["state"].items()}
    env = {"grads": np.array(t["grads"]), "params": np.array(t["params"]), "state": types.SimpleNamespace(**old)}
    for entry in t["lines"]:
        if entry is upto:
            break
        if t["source"][entry["line"] - 1].strip().startswith("def update("):
            continue
        for k, v in entry["values"].items():
            if k != "return":
                env[k] = np.array(v) if isinstance(v, list) else v
    return env


def test_source_is_the_shipped_update():
    t = trace(spec_for("adamw", {}), run=1, step=1)
    assert t["source"][0].startswith("def update(grads, state, params")
    own = inspect.getsource(REGISTRY["adamw"].module.update).splitlines()
    assert t["source"][:len(own)] == own
    assert "def update(grads, state, params, lr=1e-3, beta1=0.9" in "\n".join(t["source"][len(own):])
    assert t["equations"] == REGISTRY["adamw"].equations.splitlines()


def test_bad_run_and_step_are_named():
    spec = spec_for("adam", {}, steps=5)
    for kwargs, field in [({"run": 2}, "run"), ({"run": -1}, "run"), ({"step": 0}, "step"), ({"step": 6}, "step"),
                          ({"step": "1"}, "step")]:
        with pytest.raises(SpecError) as info:
            trace(spec, **kwargs)
        assert info.value.field == field
    with pytest.raises(SpecError) as info:
        trace({"kind": "grid", "function": "booth"})
    assert info.value.field == "kind"


def test_a_scheduled_run_shows_its_step_size():
    spec = spec_for("sgd", {"schedule": {"name": "cosine", "T_max": 8}})
    lrs = [trace(spec, run=1, step=k)["hyper"]["lr"] for k in (1, 4, 8)]
    assert lrs[0] == 0.05 and lrs[0] > lrs[1] > lrs[2]
    first = trace(spec, run=1, step=4)["lines"][0]
    assert first["values"]["lr"] == lrs[1]  # the code ran with the scheduled lr


def test_learner_code_is_not_traced_here():
    from descentlab.optimizers.copy import source_copy
    spec = {"kind": "landscape", "function": "booth", "steps": 5,
            "optimizers": [{"name": "custom", "code": source_copy("adam")}]}
    with pytest.raises(SpecError) as info:
        trace(spec, run=0, step=1, allow_code=True)
    assert info.value.field == "run"
