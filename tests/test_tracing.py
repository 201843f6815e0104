"""descentlab.trace: the optimizer's real code, re-run under a tracer, with the numbers each line computed.

Two kinds of proof, for every optimizer, every option and a sample of steps:
the traced values equal the recorded run bit for bit (state, update, path), and
every displayed line's value is what that line computes: its right-hand side is
evaluated again, from the values traced before it, and gives the same bits.
"""

from __future__ import annotations

import ast
import copy
import inspect
from typing import NamedTuple

import numpy as np
import pytest

import descentlab
from descentlab import kernels as K
from descentlab.errors import SpecError
from descentlab.optimizers import REGISTRY, base
from descentlab.optimizers.copy import source_copy
from descentlab.tracing import trace


def _option_value(name, key):
    """A value of hyper-parameter ``key`` away from its default, inside its range."""
    default = REGISTRY[name].defaults[key]
    lo, hi, kind = REGISTRY[name].ranges[key]
    if kind == "bool":
        return not default
    if kind == "int":  # e.g. warmup steps: a few, inside the range
        return int(min(hi, max(lo, default + 3)))
    candidates = [1e-3, 1e-6, lo * 10] if kind == "log" else [0.3, 0.05, (lo + hi) / 2]
    return next(v for v in candidates if lo <= v <= hi and v != default)


def _single_options():
    """Every optimizer with each of its hyper-parameters (but lr) moved away from its default,
    where that alone is a valid combination (the rest are in ``COMBINED``)."""
    out = []
    for name, info in REGISTRY.items():
        for key in info.defaults:
            if key == "lr":
                continue
            hyper = {key: _option_value(name, key)}
            try:
                descentlab.optimizers.make(name, **hyper)
            except ValueError:
                continue
            out.append((name, hyper))
    return out


# options a single change cannot reach (nesterov and ema need momentum), and several at once
COMBINED = [
    ("sgd", {"momentum": 0.9, "nesterov": True}), ("sgd", {"momentum": 0.9, "ema": True}),
    ("sgd", {"momentum": 0.9, "dampening": 0.4, "weight_decay": 0.2}),
    ("momentum", {"nesterov": True, "weight_decay": 0.1}), ("momentum", {"ema": True, "weight_decay": 0.3}),
    ("nesterov", {"weight_decay": 0.1, "momentum": 0.5}),
    ("adagrad", {"lr_decay": 0.1, "initial_accumulator_value": 0.5, "weight_decay": 0.2}),
    ("rmsprop", {"centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    ("adam", {"amsgrad": True, "weight_decay": 0.5}), ("adamw", {"amsgrad": True, "weight_decay": 0.3}),
    ("adamw", {"weight_decay": 0.0}), ("amsgrad", {"amsgrad": False, "weight_decay": 0.2}),
    ("nadam", {"weight_decay": 0.5, "momentum_decay": 0.05}), ("lion", {"weight_decay": 0.4, "beta2": 0.5}),
]
COMBOS = [(name, {}) for name in REGISTRY] + _single_options() + COMBINED
STEPS = (1, 2, 7)
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in hyper.items()) or 'defaults'}" for name, hyper in COMBOS]


def spec_for(name, hyper, steps=8, record=True):
    return {"kind": "landscape", "function": "booth", "start": [-3.0, 4.0], "steps": steps, "record_state": record,
            "optimizers": [{"name": "sgd", "lr": 0.01}, {"name": name, "lr": 0.05, **hyper}]}


def bits(value):
    """A value as bytes (floats) and structure, for bit-for-bit comparisons (-0.0 differs from 0.0)."""
    if isinstance(value, dict):
        return {k: bits(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [bits(v) for v in value]
    if isinstance(value, (bool, str)) or value is None:
        return value
    return np.float64(value).tobytes()


def plain(value):
    """What the trace reports for a value the test computed: lists of floats, a NamedTuple as a dict."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return {f: plain(v) for f, v in zip(value._fields, value)}
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


def _array(value):
    return np.array(value, dtype=np.float64) if isinstance(value, list) else value


# --- 1. the trace equals the recorded run -----------------------------------------------------

@pytest.mark.parametrize("name, hyper", COMBOS, ids=IDS)
def test_trace_equals_the_recorded_state_bit_for_bit(name, hyper):
    spec = spec_for(name, hyper)
    run = descentlab.run(spec)["runs"][1]
    race = descentlab.run(spec_for(name, hyper, record=False))["runs"][1]  # the float race the page draws
    assert race["path"] == run["path"]
    for step in STEPS:
        t = trace(spec, run=1, step=step)
        updates, new_state = t["lines"][-1]["values"]["return"]
        assert bits(updates) == bits(run["state"]["update"][step - 1])
        assert bits(t["grads"]) == bits(run["state"]["grad"][step - 1])
        assert bits(t["params"]) == bits(run["path"][step - 1])
        after = (np.array(t["params"]) + np.array(updates)).tolist()
        assert bits(after) == bits(run["path"][step])
        names = {}
        for line in t["lines"]:
            names.update(line["values"])
        for key, rows in run["state"].items():
            if key in ("grad", "update"):
                continue
            traced = new_state.get(key, names.get(key))
            assert traced is not None, f"{name}: recorded {key} is not a variable of the code"
            if not isinstance(traced, list):  # one number for both coordinates (e.g. Prodigy's d), recorded per coordinate
                traced = [traced] * len(rows[step - 1])
            assert bits(traced) == bits(rows[step - 1]), (name, key)
        if step > 1:  # the state before the step is the one recorded after the previous step
            before = trace(spec, run=1, step=step - 1)["lines"][-1]["values"]["return"][1]
            assert bits(t["state"]) == bits(before)


# --- 2. each displayed line shows what it computes ----------------------------------------------

def _statements(source):
    """Listing line -> the simple statement, loop header or def that contains it."""
    tree = ast.parse("\n".join(source))
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.Return, ast.Expr)):
            for n in range(node.lineno, node.end_lineno + 1):
                out.setdefault(n, node)
        elif isinstance(node, (ast.FunctionDef, ast.For)):
            out[node.lineno] = node
    return out


UNINITIALISED = ("np.empty_like", "np.empty")  # memory not yet written: no value to compare


def check_lines(t, module_vars, state_before):
    """Re-evaluate every traced line from the values traced before it, frame by frame.

    Each assignment is executed again on copies of the values traced before it (so an
    in-place fill such as ``u[i] = ...`` is checked too); a loop header's value must be
    an item of its iterable.  Returns the number of lines checked; fails on a line whose
    value differs, or on a traced line that is not an assignment, a loop, a return or a def.
    """
    statements = _statements(t["source"])
    every = {k: v for info in REGISTRY.values() for k, v in vars(info.module).items()}  # a callee's globals too
    common = {**every, **module_vars, "K": K, "np": np, "bias_correction": base.bias_correction}
    frames, checked = [], 0
    for entry in t["lines"]:
        node = statements.get(entry["line"])
        text = t["source"][entry["line"] - 1]
        values = dict(entry["values"])
        if isinstance(node, ast.FunctionDef):  # a call starts: its inputs and hyper-parameters
            frames.append({"grads": _array(t["grads"]), "params": _array(t["params"]),
                           "state": state_before, **{k: _array(v) for k, v in values.items()}})
            if len(frames) == 1:
                given = {k: v for k, v in values.items() if k != "hessian"}  # Sophia's: what the loop passed
                assert given == {k: v for k, v in t["hyper"].items() if k in given}
                assert bits(values.get("hessian")) == bits(t.get("hessian"))
            continue
        env = frames[-1]
        assert isinstance(node, (ast.Assign, ast.AugAssign, ast.Return, ast.For)), text
        scope = {**common, **copy.deepcopy(env)}
        if isinstance(node, ast.Return):
            got = eval(compile(ast.Expression(node.value), "<line>", "eval"), scope)  # noqa: S307 - our source
            assert bits(plain(got)) == bits(values.pop("return")), text
            frames.pop()
        elif isinstance(node, ast.For):  # the loop variable(s): an item of the iterable
            items = eval(compile(ast.Expression(node.iter), "<line>", "eval"), scope)  # noqa: S307
            bound = [n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)]  # the names the header binds
            names = [k for k in bound if k in values]
            assert names, text
            as_names = lambda item: dict(zip(bound, item if isinstance(node.target, ast.Tuple) else [item]))  # noqa: E731
            assert any(bits([plain(as_names(item)[k]) for k in names]) == bits([values[k] for k in names])
                       for item in items), text
            for k in names:
                env[k] = _array(values.pop(k))
        else:
            exec(compile(ast.Module([node], []), "<line>", "exec"), scope)  # noqa: S102 - our own source
            for k in list(values):
                if not any(u in text for u in UNINITIALISED):
                    assert bits(plain(scope[k])) == bits(values[k]), (text, k)
                env[k] = scope[k] if not any(u in text for u in UNINITIALISED) else _array(values[k])
                values.pop(k)
        assert not values, f"values {sorted(values)} not computed by {text!r}"
        checked += 1
    assert not frames, "a traced call did not return"
    return checked


def _old_state(t, module):
    """The state before the step as the code saw it (its NamedTuple, rebuilt from the trace)."""
    state = REGISTRY[t["optimizer"]].module.init(np.zeros(2)) if module is None else module.init(np.zeros(2))
    return type(state)(**{k: _array(v) for k, v in t["state"].items()})


@pytest.mark.parametrize("name, hyper", COMBOS, ids=IDS)
def test_each_line_shows_what_it_computes(name, hyper):
    module = REGISTRY[name].module
    for step in STEPS:
        t = trace(spec_for(name, hyper), run=1, step=step)
        for entry in t["lines"]:
            text = t["source"][entry["line"] - 1].strip()
            assert text and not text.startswith(("#", '"""', 'r"""')), text
        assert check_lines(t, vars(module), _old_state(t, module)) >= 2


def test_adam_l2_weight_decay_on_booth_step_2():
    """Issue #14's example: the shown m is β₁ m₁ + (1 − β₁) g with g = ∇f + λθ, not the raw gradient."""
    spec = {"kind": "landscape", "function": "booth", "steps": 3, "optimizers": [{"name": "adam", "lr": 0.1,
                                                                                  "weight_decay": 0.5}]}
    t = trace(spec, run=0, step=2)
    shown = {t["source"][e["line"] - 1].strip().split(" =")[0]: e["values"] for e in t["lines"]}
    m_prev, grad, theta = t["state"]["m"][0], t["grads"][0], t["params"][0]
    assert (m_prev, grad) == (-16.599999999999998, -160.20000000010873)
    g = shown["g"]["g"][0]
    assert g == grad + 0.5 * theta == -164.15000000011173  # the L2 term is in g
    m = shown["m"]["m"][0]
    assert m == 0.9 * m_prev + (1.0 - 0.9) * g == -31.355000000011167
    assert abs(m - (0.9 * m_prev + 0.1 * grad)) > 0.3  # the old template's sum with the raw gradient: -30.96
    assert check_lines(t, vars(REGISTRY["adam"].module), _old_state(t, None)) >= 6


# --- 3. what the listing holds ----------------------------------------------------------------

def test_source_is_the_shipped_update_and_init():
    t = trace(spec_for("adamw", {}), run=1, step=1)
    assert t["source"][0].startswith("def update(grads, state, params")
    own = inspect.getsource(REGISTRY["adamw"].module.update).splitlines()
    assert t["source"][:len(own)] == own
    assert "def update(grads, state, params, lr=1e-3, beta1=0.9" in "\n".join(t["source"][len(own):])
    assert t["equations"] == REGISTRY["adamw"].equations.splitlines()
    assert t["init_source"] == inspect.getsource(REGISTRY["adam"].module.init).splitlines()
    assert t["title"] == "AdamW" and t["kind"] == "landscape"


def test_bad_arguments_are_named():
    spec = spec_for("adam", {}, steps=5)
    for kwargs, field in [({"run": 2}, "run"), ({"run": -1}, "run"), ({"step": 0}, "step"), ({"step": 6}, "step"),
                          ({"step": "1"}, "step"), ({"run": True}, "run"), ({"param": [0, 0]}, "param")]:
        with pytest.raises(SpecError) as info:
            trace(spec, **kwargs)
        assert info.value.field == field
    with pytest.raises(SpecError) as info:
        trace({"kind": "grid", "function": "booth"})
    assert info.value.field == "kind"
    with pytest.raises(TypeError):
        trace(spec, 0, 1, None, True)  # allow_code is keyword-only


def test_a_diverged_run_is_traced_up_to_its_divergence():
    spec = {"kind": "landscape", "function": "booth", "steps": 50, "optimizers": [{"name": "sgd", "lr": 2.0}]}
    last = descentlab.run(spec)["runs"][0]["diverged_at"]
    assert last is not None
    trace(spec, run=0, step=last)  # the step that diverged is shown
    with pytest.raises(SpecError) as info:
        trace(spec, run=0, step=last + 1)
    assert info.value.field == "step" and f"diverged at step {last}" in info.value.message


def test_a_scheduled_run_shows_its_step_size():
    spec = spec_for("sgd", {"schedule": {"name": "cosine", "T_max": 8}})
    lrs = [trace(spec, run=1, step=k)["hyper"]["lr"] for k in (1, 4, 8)]
    assert lrs[0] == 0.05 and lrs[0] > lrs[1] > lrs[2]
    t = trace(spec, run=1, step=4)
    assert t["lines"][0]["values"]["lr"] == lrs[1]  # the code ran with the scheduled lr
    run = descentlab.run(spec)["runs"][1]
    assert bits(t["lines"][-1]["values"]["return"][0]) == bits(run["state"]["update"][3])


# --- 4. learner code ------------------------------------------------------------------------------

def custom_spec(code, steps=6, hyper=None):
    return {"kind": "landscape", "function": "booth", "start": [-3.0, 4.0], "steps": steps,
            "optimizers": [{"name": "adam", "lr": 0.05, "weight_decay": 0.2},
                           {"name": "custom", "label": "My Adam", "code": code,
                            "hyper": {"lr": 0.05, "weight_decay": 0.2} if hyper is None else hyper}]}


def test_learner_code_needs_the_opt_in():
    with pytest.raises(SpecError) as info:
        trace(custom_spec(source_copy("adam")), run=1, step=1)
    assert info.value.field == "optimizers[1].code"


def test_learner_code_is_traced_on_its_own_lines():
    code = source_copy("adam")
    spec = custom_spec(code)
    ours = trace(spec, run=1, step=4, allow_code=True)
    builtin = trace(spec, run=0, step=4, allow_code=True)
    assert ours["source"] == code.splitlines() and ours["title"] == "My Adam" and ours["equations"] == []
    assert ours["init_source"][0] == "def init(params):" and "\n".join(ours["init_source"]) in code
    assert ours["hyper"]["weight_decay"] == 0.2
    for entry in ours["lines"]:  # the learner's own line numbers
        assert code.splitlines()[entry["line"] - 1].strip()
    # the same code, the same numbers: each name the built-in Adam traced, in the same order
    shown = lambda t: [(t["source"][e["line"] - 1].strip(), e["values"]) for e in t["lines"]]  # noqa: E731
    assert bits([v for _, v in shown(ours)]) == bits([v for _, v in shown(builtin)])
    assert [s for s, _ in shown(ours)][1:] == [s for s, _ in shown(builtin)][1:]
    run = descentlab.run(spec, allow_code=True)["runs"][1]
    assert bits((np.array(ours["params"]) + np.array(ours["lines"][-1]["values"]["return"][0])).tolist()) == \
        bits(run["path"][4])
    env = {"np": np, "K": K, "bias_correction": base.bias_correction, "NamedTuple": NamedTuple}
    exec(compile(code, "<copy>", "exec"), env)  # noqa: S102 - the copy of our own Adam
    state = env["AdamState"](**{k: _array(v) for k, v in ours["state"].items()})
    assert check_lines(ours, env, state) >= 6


LOOPS_AT_STEP_2 = """
def init(params):
    return (0,)

def update(grads, state, params, lr=0.1):
    while state[0] == 1:
        pass
    return -lr * grads, (state[0] + 1,)
"""


def test_learner_code_keeps_its_budget_under_the_tracer():
    spec = custom_spec(LOOPS_AT_STEP_2, hyper={})
    t = trace(spec, run=1, step=1, allow_code=True)
    assert t["lines"][-1]["values"]["return"][1] == [1]
    with pytest.raises(SpecError) as info:
        trace(spec, run=1, step=2, allow_code=True)
    assert info.value.field == "optimizers[1].code" and "line 6" in info.value.message
    assert "endless loop" in info.value.message


# --- 5. networks --------------------------------------------------------------------------------

def network_spec(optimizers, epochs=2):
    return {"kind": "network", "dataset": {"name": "moons", "n": 120, "noise": 0.2, "seed": 0},
            "model": {"hidden": [5]}, "epochs": epochs, "batch_size": 32, "snapshot_every": 1,
            "optimizers": optimizers}


NETWORK_OPTIMIZERS = [{"name": "adam", "lr": 0.01, "weight_decay": 0.1}, {"name": "adamw", "amsgrad": True},
                      {"name": "rmsprop", "centered": True, "momentum": 0.5},
                      {"name": "nesterov", "lr": 0.1, "weight_decay": 0.01}]


def test_network_trace_equals_the_recorded_run():
    spec = network_spec(NETWORK_OPTIMIZERS)
    result = descentlab.run(spec)
    steps = result["runs"][0]["steps_run"]
    assert steps == 6  # 3 batches a epoch: steps 4 to 6 come from the second epoch's shuffle
    for run, r in enumerate(result["runs"]):
        for step in (1, 3, 4, 6):
            for param in ([0, 7], [1, 2], [2, 4], [3, 1]):
                t = trace(spec, run=run, step=step, param=param)
                flat = t["arrays"][param[0]]["offset"] + param[1]
                update = t["lines"][-1]["values"]["return"][0]
                assert bits(t["params"]) == bits(r["snapshots"][step - 1][flat])
                assert bits(t["params"] + update) == bits(r["snapshots"][step][flat])
                assert t["param"]["layer"] == param[0] and t["param"]["index"] == param[1]


def test_network_lines_show_what_they_compute():
    spec = network_spec(NETWORK_OPTIMIZERS)
    for run, entry in enumerate(NETWORK_OPTIMIZERS):
        t = trace(spec, run=run, step=5, param=[0, 3])
        module = REGISTRY[entry["name"]].module
        state = type(module.init(0.0))(**t["state"]) if hasattr(module, "init") else None
        assert isinstance(t["params"], float)
        assert check_lines(t, vars(module), state) >= 2


def test_network_parameter_names_and_errors():
    spec = network_spec([{"name": "sgd", "lr": 0.1}], epochs=1)
    t = trace(spec, run=0, step=2, param=[0, 7])
    assert [a["name"] for a in t["arrays"]] == ["W1", "b1", "W2", "b2"]
    assert [a["shape"] for a in t["arrays"]] == [[2, 5], [5], [5, 2], [2]]
    assert t["param"]["name"] == "W1[1, 2]" and t["kind"] == "network"
    assert trace(spec, run=0, step=2, param=[3, 1])["param"]["name"] == "b2[1]"
    assert trace(spec, run=0, step=2)["param"]["name"] == "W1[0, 0]"
    for param, field in [([4, 0], "param[0]"), ([0, 10], "param[1]"), ([1, -1], "param[1]"), ("W1", "param"),
                         ([0.5, 1], "param"), ([0, 1, 2], "param")]:
        with pytest.raises(SpecError) as info:
            trace(spec, run=0, step=2, param=param)
        assert info.value.field == field
    with pytest.raises(SpecError) as info:
        trace(spec, run=0, step=4)
    assert info.value.field == "step" and "from 1 to 3" in info.value.message


def test_network_learner_code():
    code = source_copy("rmsprop")
    spec = network_spec([{"name": "rmsprop", "centered": True},
                         {"name": "custom", "code": code, "hyper": {"centered": True}}], epochs=1)
    result = descentlab.run(spec, allow_code=True)
    ours, builtin = (trace(spec, run=i, step=3, param=[2, 6], allow_code=True) for i in (1, 0))
    assert ours["param"]["name"] == "W2[3, 0]"
    assert bits(ours["lines"][-1]["values"]) == bits(builtin["lines"][-1]["values"])
    update = ours["lines"][-1]["values"]["return"][0]
    flat = ours["arrays"][2]["offset"] + 6
    assert bits(ours["params"] + update) == bits(result["runs"][1]["snapshots"][3][flat])


# --- the race's gradient: custom functions, noise and clipping ----------------------------------

@pytest.mark.parametrize("extra, entry", [
    ({"function": "custom", "expression": "x**2 + 10*sin(y) + 0.1*x*y"}, {}),
    ({"noise": {"std": 3.0, "seed": 11}}, {}),
    ({"noise": {"std": 3.0, "seed": 11}}, {"clip_grad_norm": 2.0}),
    ({}, {"clip_grad_value": 0.5}),
])
def test_trace_follows_the_race_gradient(extra, entry):
    """Trace replays the race's own gradient (expression, noise) and shows the clipped one it used."""
    spec = {**spec_for("adam", {}), **extra}
    spec["optimizers"][1].update(entry)
    run = descentlab.run(spec)["runs"][1]
    for step in (1, 2, 5):
        t = trace(spec, run=1, step=step)
        updates = t["lines"][-1]["values"]["return"][0]
        assert bits(t["params"]) == bits(run["path"][step - 1])
        assert bits(t["grads"]) == bits(run["state"]["grad"][step - 1])
        assert bits(updates) == bits(run["state"]["update"][step - 1])
        if entry:
            assert bits(t["grads_raw"]) == bits(run["state"]["grad_raw"][step - 1])
        else:
            assert "grads_raw" not in t


# --- Sophia: the Hessian the loop passed, h and the clipped ratio -------------------------------

from descentlab import landscape  # noqa: E402
from descentlab.optimizers import sophia as sophia_module  # noqa: E402

SOPHIA_CASES = [
    ({}, {"update_period": 3}),
    ({}, {"update_period": 2, "weight_decay": 0.1, "weight_decouple": False, "p": 0.5}),
    ({}, {"update_period": 1, "weight_decay": 0.2, "fixed_decay": True, "schedule": {"name": "cosine", "T_max": 8}}),
    ({"noise": {"std": 3.0, "seed": 4}}, {"update_period": 2, "clip_grad_norm": 2.0}),
    ({"function": "custom", "expression": "x**4/4 + 3*sin(y) + 0.5*x*y"}, {"update_period": 3, "p": 0.3}),
    ({"function": "six_hump_camel", "start": [1.5, -0.8]}, {"update_period": 1, "p": 0.5,
                                                           "schedule": {"name": "onecycle", "max_lr": 0.1,
                                                                        "total_steps": 8}}),
]


@pytest.mark.parametrize("extra, hyper", SOPHIA_CASES)
def test_sophia_trace_equals_the_recorded_state_bit_for_bit(extra, hyper):
    spec = {**spec_for("adam", {}), **extra}
    spec["optimizers"][1] = {"name": "sophia", "lr": 0.05, **hyper}
    run = descentlab.run(spec)["runs"][1]
    checked = descentlab.validate(spec)
    for step in (1, 2, 4, 7):
        t = trace(spec, run=1, step=step)
        assert t["title"] == "Sophia" and t["equations"][0].strip().startswith("g_t")
        updates, new_state = t["lines"][-1]["values"]["return"]
        assert bits(updates) == bits(run["state"]["update"][step - 1])
        assert bits(t["params"]) == bits(run["path"][step - 1])
        assert bits(t["grads" if "clip_grad_norm" not in hyper else "grads_raw"]) == \
            bits(run["state"]["grad" if "clip_grad_norm" not in hyper else "grad_raw"][step - 1])
        refresh = (step - 1) % hyper["update_period"] == 0
        if refresh:  # the exact diagonal at θ_{k−1}, as the race passed it
            assert bits(t["hessian"]) == bits(run["state"]["hessian"][step - 1])
            assert bits(t["hessian"]) == bits(landscape.hessian_at(checked, np.array(t["params"])).tolist())
        else:
            assert t["hessian"] is None
        names = {k: v for line in t["lines"] for k, v in line["values"].items()}
        assert bits(new_state["h"]) == bits(run["state"]["h"][step - 1])
        assert bits(new_state["m"]) == bits(run["state"]["m"][step - 1])
        assert bits(names["ratio"]) == bits(run["state"]["ratio"][step - 1])
        p = t["hyper"]["p"]
        assert all(-p <= c <= p for c in names["clipped"])
        state = sophia_module.SophiaState(**{k: _array(v) for k, v in t["state"].items()})
        assert check_lines(t, vars(sophia_module), state) >= 6


def test_sophia_fork_of_an_adam_run_is_traced_after_the_fork():
    spec = spec_for("adam", {})
    spec["optimizers"].append({"name": "sophia", "lr": 0.05, "update_period": 2, "fork": {"run": 1, "step": 3}})
    run = descentlab.run(spec)["runs"][2]
    for step in (2, 4, 5):
        t = trace(spec, run=2, step=step)
        assert t["optimizer"] == ("adam" if step <= 3 else "sophia")
        assert bits(t["params"]) == bits(run["path"][step - 1])
        update = t["lines"][-1]["values"]["return"][0]
        assert bits((np.array(t["params"]) + np.array(update)).tolist()) == bits(run["path"][step])
    assert trace(spec, run=2, step=4)["hessian"] is not None  # a fresh state: its step 1 refreshes h
    assert trace(spec, run=2, step=5)["hessian"] is None


def test_sophia_and_forks_trace_in_the_network():
    # through network.replay: Hutchinson's estimate at the step's θ and mini-batch, and a fork's own optimizer
    opts = [{"name": "adam", "lr": 0.01}, {"name": "sophia", "lr": 0.05, "update_period": 2, "p": 0.1},
            {"name": "sophia", "lr": 0.05, "update_period": 1, "fork": {"run": 0, "step": 2}}]
    spec = network_spec(opts)
    result = descentlab.run(spec)
    for run in (1, 2):
        r = result["runs"][run]
        for step in (1, 2, 3, 4):
            t = trace(spec, run=run, step=step, param=[0, 3])
            flat = t["arrays"][0]["offset"] + 3
            update = t["lines"][-1]["values"]["return"][0]
            assert bits(t["params"]) == bits(r["snapshots"][step - 1][flat])
            assert bits(t["params"] + update) == bits(r["snapshots"][step][flat])
            if run == 2 and step <= 2:
                assert t["optimizer"] == "adam"
            else:
                assert t["optimizer"] == "sophia"
                assert (t["hessian"] is None) == (run == 1 and step % 2 == 0)
