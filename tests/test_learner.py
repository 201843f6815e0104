"""Learner code in specs: opt-in only, checked up front, errors on the learner's lines, copies race bit for bit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import descentlab
from descentlab import learner
from descentlab.errors import SpecError
from descentlab.optimizers import REGISTRY
from descentlab.optimizers.copy import source_copy

ROOT = Path(__file__).resolve().parents[1]
TINY = "def init(params):\n    return (0,)\n\ndef update(grads, state, params, lr=0.1):\n    return -lr * grads, state\n"


def landscape(*entries, steps=120, function="rosenbrock"):
    return {"kind": "landscape", "function": function, "steps": steps, "optimizers": list(entries)}


@pytest.mark.parametrize("name", list(REGISTRY))
def test_edit_a_copy_races_bit_for_bit(name):
    hyper = {"lr": 0.01}
    spec = landscape({"name": name, **hyper}, {"name": "custom", "code": source_copy(name), "hyper": hyper})
    builtin, copy = descentlab.run(spec, allow_code=True)["runs"]
    assert copy["path"] == builtin["path"] and copy["loss"] == builtin["loss"]
    assert copy["label"] == "My optimizer" and copy["params"]["lr"] == 0.01


def test_a_copy_of_adam_trains_a_network_bit_for_bit():
    spec = {"kind": "network", "dataset": {"name": "moons", "n": 120}, "epochs": 3,
            "optimizers": [{"name": "adam", "lr": 0.01},
                           {"name": "custom", "label": "My Adam", "code": source_copy("adam"), "hyper": {"lr": 0.01}}]}
    builtin, copy = descentlab.run(spec, allow_code=True)["runs"]
    assert copy["weights"] == builtin["weights"] and copy["train_loss"] == builtin["train_loss"]


def test_without_the_opt_in_nothing_of_the_code_runs(monkeypatch):
    # learner code has no open(): its module body marks a list the test slips into its namespace
    ran = []
    given = learner.namespace
    monkeypatch.setattr(learner, "namespace", lambda: {**given(), "ran": ran})
    spec = landscape({"name": "adam"}, {"name": "custom", "code": "ran.append(1)\n" + TINY})
    with pytest.raises(SpecError) as info:
        descentlab.run(spec)
    assert info.value.field == "optimizers[1].code" and "allow_code" in info.value.message
    assert ran == []
    descentlab.run(spec, allow_code=True)
    assert ran


REFUSED = "is not available in your code: it runs without network or page access"


@pytest.mark.parametrize("line, shown", [
    ("import js", "import js"), ("import os.path", "import os"), ("from pyodide.http import open_url", "import pyodide"),
    ("x = __import__('js')", "import js"), ("import sys", "import sys"), ("from importlib import import_module", "import importlib"),
    ("import subprocess", "import subprocess"), ("import urllib.request", "import urllib"), ("import ctypes", "import ctypes"),
    ("import builtins", "import builtins"), ("import socket", "import socket"), ("import micropip", "import micropip"),
])
def test_learner_code_cannot_import_the_way_out(line, shown):
    # the refused import is named with the learner's own line, in the module body and inside update
    with pytest.raises(learner.LearnerError) as info:
        learner.compile_optimizer("x = 1\n" + line + "\n" + TINY)
    assert info.value.line == 2 and info.value.message == f"{shown} {REFUSED}"
    inside = TINY.replace("    return -lr * grads, state", f"    {line}\n    return -lr * grads, state")
    with pytest.raises(SpecError) as info:
        descentlab.run(landscape({"name": "custom", "code": inside}, steps=2), allow_code=True)
    assert info.value.field == "optimizers[0].code" and f"line 5: {shown} {REFUSED}" in info.value.message


@pytest.mark.parametrize("line, name", [("open('/tmp/descentlab-x', 'w')", "open"), ("eval('1')", "eval"),
                                        ("exec('y = 1', {})", "exec")])
def test_learner_code_has_no_files_and_no_fresh_builtins(line, name):
    with pytest.raises(learner.LearnerError) as info:
        learner.compile_optimizer(TINY + line + "\n")
    assert info.value.line == 6 and info.value.message.startswith(f"{name}() is not available in your code")


def test_learner_code_imports_the_harmless_standard_library():
    code = ("import math, itertools, functools, collections, typing\nfrom collections import deque\n"
            + TINY.replace("return -lr * grads, state", "return -lr * math.fsum([1.0]) * grads, state"))
    spec = landscape({"name": "sgd", "lr": 0.1}, {"name": "custom", "code": code, "hyper": {"lr": 0.1}}, steps=20)
    builtin, mine = descentlab.run(spec, allow_code=True)["runs"]
    assert mine["path"] == builtin["path"]
    # a learner's try/except ImportError sees a refused import as an ImportError
    optional = "try:\n    import js\nexcept ImportError:\n    js = None\n" + TINY
    assert learner.compile_optimizer(optional).defaults == {"lr": 0.1}


def test_the_cli_needs_allow_code(tmp_path):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(landscape({"name": "custom", "code": TINY, "hyper": {"lr": 0.01}}, steps=5,
                                         function="booth")))
    env = {"PYTHONPATH": str(ROOT / "pywasm"), "PATH": "/usr/bin:/bin"}
    refused = subprocess.run([sys.executable, "-m", "descentlab", "run", str(path)], capture_output=True, text=True,
                             env=env)
    assert refused.returncode == 2 and "optimizers[0].code" in refused.stderr and "Traceback" not in refused.stderr
    ran = subprocess.run([sys.executable, "-m", "descentlab", "run", "--allow-code", str(path)], capture_output=True,
                         text=True, env=env)
    assert ran.returncode == 0 and json.loads(ran.stdout)["runs"][0]["steps_run"] == 5


@pytest.mark.parametrize("code, field, words", [
    ("def update(:\n", "optimizers[0].code", ["line 1", "SyntaxError"]),
    ("x = 1\n", "optimizers[0].code", ["define a function init"]),
    ("# " + "x" * 1_000_000, "optimizers[0].code", ["at most"]),
    (TINY.replace("return -lr * grads, state", "return grads[:1], state"), "optimizers[0].code",
     ["step 1", "shape"]),
    (TINY.replace("return -lr * grads, state", "while True: pass"), "optimizers[0].code", ["line 5", "endless"]),
    (TINY.replace("return (0,)", "return [0]"), "optimizers[0].code", ["init", "NamedTuple"]),
    (TINY.replace("return -lr * grads, state", "return -lr * grads * (1 / 0), state"), "optimizers[0].code",
     ["line 5", "ZeroDivisionError"]),
])
def test_bad_learner_code_is_named_with_its_line(code, field, words):
    with pytest.raises(SpecError) as info:
        descentlab.run(landscape({"name": "custom", "code": code}, steps=5), allow_code=True)
    assert info.value.field == field
    for word in words:
        assert word in info.value.message, (word, info.value.message)


def test_non_finite_updates_end_as_divergence():
    code = TINY.replace("return -lr * grads, state", "return grads * float('inf'), state")
    run = descentlab.run(landscape({"name": "custom", "code": code}, steps=5), allow_code=True)["runs"][0]
    assert run["diverged_at"] == 1


def test_hyper_parameters_come_from_update_and_the_spec():
    spec = landscape({"name": "custom", "code": TINY, "hyper": {"lr": 0.5}}, steps=3)
    assert descentlab.validate(spec, allow_code=True)["optimizers"][0]["params"] == {"lr": 0.5}
    for hyper, field in [({"beta": 1.0}, "optimizers[0].hyper.beta"), ({"lr": "x"}, "optimizers[0].hyper.lr"),
                         ({"lr": 1e300}, "optimizers[0].hyper.lr")]:
        with pytest.raises(SpecError) as info:
            descentlab.validate(landscape({"name": "custom", "code": TINY, "hyper": hyper}), allow_code=True)
        assert info.value.field == field


def test_a_regime_map_needs_a_registered_optimizer():
    spec = {"kind": "regime", "function": "booth", "optimizer": {"name": "custom", "code": TINY},
            "x": {"param": "lr", "min": 0.01, "max": 0.1}, "y": {"param": "lr", "min": 0.01, "max": 0.1}}
    with pytest.raises(SpecError) as info:
        descentlab.validate(spec, allow_code=True)
    assert info.value.field == "optimizer.name"


def test_a_run_of_learner_code_has_a_total_budget(monkeypatch):
    monkeypatch.setattr(learner, "MAX_OPS_PER_RUN", 2000)
    with pytest.raises(SpecError) as info:
        descentlab.run(landscape({"name": "custom", "code": TINY, "hyper": {"lr": 0.001}}, steps=500,
                                 function="booth"), allow_code=True)
    assert "in this run" in info.value.message
