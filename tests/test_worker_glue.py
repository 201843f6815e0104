"""The worker's Python glue (web/worker.js, PY_GLUE), run natively.

Long float lists leave the worker as raw float64 bytes; everything else stays
JSON.  The browser half (unpackFloats) is checked end to end by e2e/test_parity.py,
which compares whole browser results with native ones.
"""

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

WORKER = Path(__file__).resolve().parents[1] / "web" / "worker.js"


@pytest.fixture(scope="module")
def glue():
    source = WORKER.read_text(encoding="utf-8")
    text = re.search(r"const PY_GLUE = `(.*?)`;", source, re.S).group(1)
    allowed = re.search(r"const ALLOWED_CALLS = (\[.*?\]);", source).group(1)
    text = text.replace("${JSON.stringify(ALLOWED_CALLS)}", allowed)
    namespace: dict = {}
    exec(compile(text, "PY_GLUE", "exec"), namespace)
    return namespace


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


def test_long_float_lists_travel_as_bytes_and_come_back_exact(glue):
    rng = np.random.default_rng(0)
    path = (rng.standard_normal((300, 2)) * 1e-300).tolist()
    chunk = {"result": {"runs": [{"path": path, "loss": rng.random(100).tolist(), "name": "adam"},
                                 {"path": [[0.1, 0.2]], "loss": [0.5], "name": "sgd"}],
                        "labels": list(range(100)), "flags": [True] * 100,
                        "ragged": [[0.5] * 70, [0.5] * 3], "gaps": [0.5] * 70 + [None],
                        "diverged": [0.5] * 70 + [float("nan")], "ints_inside": [0.5] + [1] * 80}}
    text = glue["_dumps_packed"]({"chunk": chunk})
    blob = glue["take_blob"]()
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
    assert glue["take_blob"]() == b""  # taken once


def test_a_chunk_without_long_lists_has_no_blob(glue):
    assert json.loads(glue["_dumps_packed"]({"chunk": {"done": 1, "total": 2}})) == {"chunk": {"done": 1, "total": 2}}
    assert glue["take_blob"]() == b""


def test_result_arrays_travel_as_bytes_and_equal_the_native_lists(glue):
    # the glue asks iter_run for arrays (a landscape's paths and losses stay ndarrays);
    # what the page rebuilds from the bytes equals the lists native run() returns
    import descentlab
    from descentlab.digest import digest
    spec = {"kind": "landscape", "function": "beale", "steps": 200,
            "optimizers": [{"name": "adam", "lr": 0.05}, {"name": "sgd", "lr": 0.5}]}  # the second diverges
    items = list(descentlab.iter_run(json.loads(json.dumps(spec)), arrays=True))
    result = items[-1]["result"]
    assert isinstance(result["runs"][0]["path"], np.ndarray) and result["runs"][0]["path"].shape == (201, 2)
    text = glue["_dumps_packed"]({"chunk": items[-1]})
    packed = json.loads(text)["chunk"]["result"]
    assert "$f64" in packed["runs"][0]["path"]
    assert isinstance(packed["runs"][1]["path"], list)  # a few points before diverging: plain JSON
    back = unpack(packed, glue["take_blob"]())
    native = descentlab.run(spec)
    assert isinstance(native["runs"][0]["path"], list) and native["runs"][1]["diverged_at"] is not None
    assert back["digest"] == native["digest"] == digest(back)
    for ours, ref in zip(back["runs"], native["runs"]):
        for key in ("path", "loss", "loss_above_min"):
            assert np.array(ours[key]).tobytes() == np.array(ref[key]).tobytes()
