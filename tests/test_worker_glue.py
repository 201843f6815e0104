"""The worker's Python glue (descentlab.worker_glue), run natively.

Long float lists leave the worker as raw float64 bytes; everything else stays
JSON.  The browser half (unpackFloats in web/worker.js) is checked end to end by
e2e/test_parity.py, which compares whole browser results with native ones.
"""

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

import descentlab
from descentlab import learner
from descentlab import worker_glue as glue
from descentlab.digest import digest
from descentlab.optimizers.copy import source_copy

WORKER = Path(__file__).resolve().parents[1] / "web" / "worker.js"


def unpack(obj, blob):
    """What worker.js's unpackFloats does, in Python."""
    f64 = np.frombuffer(blob, dtype="<f8")
    if isinstance(obj, dict):
        if "$f64" in obj:
            offset, *shape = obj["$f64"]
            return f64[offset:offset + math.prod(shape)].reshape(shape).tolist()
        return {k: unpack(v, blob) for k, v in obj.items()}
    if isinstance(obj, list):
        return [unpack(v, blob) for v in obj]
    return obj


def run_to_end(run_id, spec):
    """Drive one run through start/step as the worker does; returns (chunks, result)."""
    assert json.loads(glue.start(run_id, json.dumps(spec))) == {"ok": True}
    chunks = []
    while True:
        out = json.loads(glue.step(run_id))
        chunk = unpack(out["chunk"], glue.take_blob())
        if "result" in chunk:
            return chunks, chunk["result"]
        chunks.append(chunk)


def test_long_float_lists_travel_as_bytes_and_come_back_exact():
    rng = np.random.default_rng(0)
    path = (rng.standard_normal((300, 2)) * 1e-300).tolist()
    chunk = {"result": {"runs": [{"path": path, "loss": rng.random(100).tolist(), "name": "adam"},
                                 {"path": [[0.1, 0.2]], "loss": [0.5], "name": "sgd"}],
                        "labels": list(range(100)), "flags": [True] * 100,
                        "ragged": [[0.5] * 70, [0.5] * 3], "gaps": [0.5] * 70 + [None],
                        "diverged": [0.5] * 70 + [float("nan")], "ints_inside": [0.5] + [1] * 80}}
    text = glue.dumps_packed({"chunk": chunk})
    blob = glue.take_blob()
    packed = json.loads(text)["chunk"]["result"]
    assert "$f64" in packed["runs"][0]["path"] and "$f64" in packed["runs"][0]["loss"]
    assert packed["runs"][1]["path"] == [[0.1, 0.2]]  # short lists stay JSON
    assert packed["labels"] == list(range(100)) and packed["flags"] == [True] * 100
    assert packed["ragged"][1] == [0.5] * 3 and packed["gaps"][-1] is None
    assert packed["diverged"][-1] is None  # JSON's null, never a NaN drawn by the page
    back = unpack(packed, blob)
    assert np.array(back["runs"][0]["path"]).tobytes() == np.array(path).tobytes()
    assert back["runs"][0]["loss"] == chunk["result"]["runs"][0]["loss"]
    assert back["ints_inside"] == [0.5] + [1.0] * 80
    assert glue.take_blob() == b""  # taken once


def test_a_chunk_without_long_lists_has_no_blob():
    assert json.loads(glue.dumps_packed({"chunk": {"done": 1, "total": 2}})) == {"chunk": {"done": 1, "total": 2}}
    assert glue.take_blob() == b""


def test_result_arrays_travel_as_bytes_and_equal_the_native_lists():
    # the glue asks iter_run for arrays (a landscape's paths and losses stay ndarrays);
    # what the page rebuilds from the bytes equals the lists native run() returns
    spec = {"kind": "landscape", "function": "beale", "steps": 200,
            "optimizers": [{"name": "adam", "lr": 0.05}, {"name": "sgd", "lr": 0.5}]}  # the second diverges
    items = list(descentlab.iter_run(json.loads(json.dumps(spec)), arrays=True))
    result = items[-1]["result"]
    assert isinstance(result["runs"][0]["path"], np.ndarray) and result["runs"][0]["path"].shape == (201, 2)
    text = glue.dumps_packed({"chunk": items[-1]})
    packed = json.loads(text)["chunk"]["result"]
    assert "$f64" in packed["runs"][0]["path"]
    assert isinstance(packed["runs"][1]["path"], list)  # a few points before diverging: plain JSON
    back = unpack(packed, glue.take_blob())
    native = descentlab.run(spec)
    assert isinstance(native["runs"][0]["path"], list) and native["runs"][1]["diverged_at"] is not None
    assert back["digest"] == native["digest"] == digest(back)
    for ours, ref in zip(back["runs"], native["runs"]):
        for key in ("path", "loss", "loss_above_min"):
            assert np.array(ours[key]).tobytes() == np.array(ref[key]).tobytes()


def test_a_run_through_start_and_step_gives_the_native_result():
    spec = {"kind": "landscape", "function": "rosenbrock", "steps": 300, "record_state": True,
            "optimizers": [{"name": "adam", "lr": 0.05}, {"name": "rmsprop"}]}
    _, result = run_to_end("r1", spec)
    assert result["digest"] == descentlab.run(spec)["digest"] == digest(result)
    assert "r1" not in glue._RUNS  # a finished run is forgotten
    assert json.loads(glue.step("r1")) == {"error": {"kind": "Error", "message": "no such run"}}


def test_a_bad_spec_is_a_spec_error_naming_the_field():
    # iter_run checks the spec when its first item is asked for: the first step says so
    assert json.loads(glue.start(7, json.dumps({"kind": "landscape", "function": "booth", "steps": -5}))) == {"ok": True}
    out = json.loads(glue.step(7))
    assert out["error"]["kind"] == "SpecError" and out["error"]["field"] == "steps" and out["error"]["message"]
    assert 7 not in glue._RUNS  # a run that ended with an error is forgotten
    bad = json.loads(glue.start(8, "{not json"))["error"]
    assert bad["kind"] == "Error" and bad["message"].startswith("json.decoder.JSONDecodeError")


def test_stop_forgets_a_run_and_closes_its_generator():
    spec = {"kind": "network", "dataset": {"name": "moons", "n": 100, "seed": 0}, "epochs": 5,
            "optimizers": [{"name": "adam"}]}
    assert json.loads(glue.start("s", json.dumps(spec))) == {"ok": True}
    gen = glue._RUNS["s"]
    assert "chunk" in json.loads(glue.step("s"))
    glue.take_blob()
    glue.stop("s")
    assert "s" not in glue._RUNS and gen.gi_frame is None  # closed
    glue.stop("s")  # twice is harmless


def test_call_allows_only_the_listed_functions():
    catalog = json.loads(glue.call("list_catalog", "[]"))["ok"]
    assert catalog == json.loads(json.dumps(descentlab.list_catalog()))
    for name in ("run", "__import__", "iter_run"):
        out = json.loads(glue.call(name, "[]"))
        assert out == {"error": {"kind": "Error", "message": f"ValueError: descentlab.{name} cannot be called from the page"}}
    bad = json.loads(glue.call("validate", json.dumps([{"kind": "grid", "function": "nope"}])))
    assert bad["error"]["kind"] == "SpecError" and bad["error"]["field"] == "function"


def test_every_allowed_call_exists_and_the_worker_reads_the_list_from_here():
    for name in glue.ALLOWED_CALLS + glue.CODE_CALLS:
        assert callable(glue._CALLS.get(name) or getattr(descentlab, name)), name
    source = WORKER.read_text(encoding="utf-8")
    assert "descentlab.worker_glue" in source and "CODE_CALLS" in source
    # one list: the worker holds no copy of the names
    assert not any(re.search(rf"[\"']{name}[\"']", source) for name in glue.ALLOWED_CALLS + glue.CODE_CALLS)


# ------------------------------------------------------------------ the code worker's calls
TINY = "def init(params):\n    return (0,)\n\ndef update(grads, state, params, lr=0.1, beta=0.5):\n    return -lr * grads, state\n"
SGD = ("def init(params):\n    return (0,)\n\ndef update(grads, state, params, lr=0.01, weight_decay=0.0):\n"
       "    g = grads + weight_decay * params\n    return -lr * g, state\n")


def code_call(name, *args, code=True):
    return json.loads(glue.call(name, json.dumps(list(args)), code))


def test_main_and_code_worker_calls_are_separate():
    assert "explain" not in glue.ALLOWED_CALLS
    assert {"trace", "exercises_list"} <= set(glue.ALLOWED_CALLS)
    assert set(glue.CODE_CALLS) == {"learner_describe", "exercises_list", "exercises_check", "trace", "validate"}
    assert code_call("source_copy", "adam", code=False)["ok"] == source_copy("adam")
    assert code_call("source_copy", "nope", code=False)["error"]["field"] == "name"
    assert code_call("source_copy", "sam", "adam", code=False)["ok"] == source_copy("sam", base="adam")
    assert "descentlab.source_copy cannot be called" in code_call("source_copy", "sam", "lion", code=True)["error"]["message"]
    bad_base = code_call("source_copy", "sam", "muon", code=False)["error"]
    assert bad_base["field"] == "base" and "sgd" in bad_base["message"]
    for name in ("learner_describe", "exercises_check"):  # they run learner code: never in the main worker
        out = code_call(name, "sgd", TINY, code=False)
        assert out["error"]["kind"] == "Error" and f"descentlab.{name} cannot be called" in out["error"]["message"]
    for name in ("list_catalog", "llm_prompt", "run", "explain"):  # the code worker answers its own list only
        out = code_call(name, code=True)
        assert out["error"]["kind"] == "Error" and f"descentlab.{name} cannot be called" in out["error"]["message"]
    assert code_call("exercises_list", code=False)["ok"] == code_call("exercises_list")["ok"] \
        == json.loads(json.dumps(descentlab.exercises.list()))


def test_learner_describe_gives_the_hyper_parameters_or_the_first_error():
    assert code_call("learner_describe", TINY)["ok"] == {"hyper": {"lr": 0.1, "beta": 0.5}, "error": None}
    for source, line, words in [("def update(:\n", 1, "SyntaxError"), ("x = 1\n", None, "define a function init"),
                                ("import js\n" + TINY, 1, "import js is not available"),
                                ("x = 0\nwhile True:\n    x += 1\n" + TINY, 3, "endless loop"), (42, None, "must be text")]:
        out = code_call("learner_describe", source)["ok"]
        assert out["hyper"] == {} and out["error"]["line"] == line and words in out["error"]["message"], out


def test_exercises_check_passes_fails_and_names_the_line():
    ok = code_call("exercises_check", "sgd", SGD)["ok"]
    assert ok == {**descentlab.exercises.check("sgd", SGD), "line": None} and ok["passed"] is True
    wrong = code_call("exercises_check", "sgd", SGD.replace("-lr * g", "lr * g"))["ok"]
    assert wrong["passed"] is False and wrong["step"] == 1 and wrong["quantity"] and wrong["line"] is None
    broken = code_call("exercises_check", "sgd", SGD.replace("return -lr * g, state", "return 1 / 0, state"))["ok"]
    assert broken["passed"] is False and broken["line"] == 6 and "ZeroDivisionError" in broken["hint"]
    unknown = code_call("exercises_check", "nope", SGD)
    assert unknown["error"]["kind"] == "Error" and "nope" in unknown["error"]["message"]


def custom_spec(code=TINY):
    return {"kind": "landscape", "function": "booth", "steps": 10,
            "optimizers": [{"name": "sgd", "lr": 0.01}, {"name": "custom", "code": code, "hyper": {"lr": 0.01}}]}


def test_a_custom_spec_in_the_main_worker_is_refused_and_nothing_runs(monkeypatch):
    ran = []
    given = learner.namespace
    monkeypatch.setattr(learner, "namespace", lambda: {**given(), "ran": ran})
    spec = custom_spec("ran.append(1)\n" + TINY)
    assert json.loads(glue.start("m", json.dumps(spec))) == {"ok": True}
    out = json.loads(glue.step("m"))
    assert out["error"]["kind"] == "SpecError" and out["error"]["field"] == "optimizers[1].code"
    assert "allow_code" in out["error"]["message"] and ran == [] and "m" not in glue._RUNS
    for name, args in (("validate", [spec]), ("trace", [spec, 1, 1])):
        refused = code_call(name, *args, code=False)["error"]
        assert refused["kind"] == "SpecError" and refused["field"] == "optimizers[1].code", refused
    assert ran == []
    assert code_call("validate", spec)["ok"]["optimizers"][1]["name"] == "custom" and ran == [1]
    # the code worker runs it, bit for bit as natively with the opt-in
    assert json.loads(glue.start("c", json.dumps(spec), True)) == {"ok": True}
    while True:
        out = json.loads(glue.step("c"))
        chunk = unpack(out["chunk"], glue.take_blob())
        if "result" in chunk:
            break
    assert chunk["result"]["digest"] == descentlab.run(spec, allow_code=True)["digest"] and ran


def test_the_budget_of_learner_code_is_a_spec_error_naming_its_line():
    spec = custom_spec(TINY.replace("    return -lr * grads, state", "    while True:\n        pass"))
    assert json.loads(glue.start("b", json.dumps(spec), True)) == {"ok": True}
    out = json.loads(glue.step("b"))
    while "chunk" in out:  # the built-in run first
        glue.take_blob()
        out = json.loads(glue.step("b"))
    assert out["error"]["kind"] == "SpecError" and out["error"]["field"] == "optimizers[1].code"
    assert "line 5" in out["error"]["message"] and "endless loop" in out["error"]["message"]


def test_trace_in_either_worker_follows_a_built_in_run():
    spec = custom_spec()
    main = code_call("trace", {**spec, "optimizers": spec["optimizers"][:1]}, 0, 2, code=False)["ok"]
    code = code_call("trace", spec, 0, 2)["ok"]
    assert main["optimizer"] == code["optimizer"] == "sgd" and main["lines"] == code["lines"]


def test_non_finite_numbers_become_null():
    text = glue._dumps({"a": [1.0, float("inf"), float("nan")], "b": np.float64(2.5), "c": np.arange(3)})
    assert json.loads(text) == {"a": [1.0, None, None], "b": 2.5, "c": [0, 1, 2]}


@pytest.mark.parametrize("value", [object(), {1, 2}])
def test_values_json_cannot_write_are_an_error_not_a_crash(value, monkeypatch):
    monkeypatch.setattr(descentlab, "list_catalog", lambda: value)
    out = json.loads(glue.call("list_catalog", "[]"))
    assert out["error"]["kind"] == "Error" and "not JSON serializable" in out["error"]["message"]
