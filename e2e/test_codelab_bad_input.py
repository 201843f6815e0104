"""Bad learner code in the page: each mistake gets a clear message naming the problem and
the learner's line, and the lab keeps working afterwards (issue #14, "Done when")."""
from __future__ import annotations

import pytest

import descentlab

from test_sandbox import BOOTH, TINY, custom, settle

GOOD = TINY
# (code, words the message must contain, the learner's line it must name or None)
BAD = [
    ("def init(params):\n    return (0,)\n\ndef update(grads, state, params, lr=0.01)\n    return -lr * grads, state\n",
     ["SyntaxError"], 4),
    ("def init(params):\n    return (0,)\n", ["update"], None),
    ("def init(params):\n    return (0,)\n\ndef update(grads, state, params, lr=0.01):\n    return (-lr * grads)[:1], state\n",
     ["shape"], None),
    ("def init(params):\n    return 'not a state'\n\ndef update(grads, state, params, lr=0.01):\n    return -lr * grads, state\n",
     ["state"], None),
    ("x = 1\n" * 200_000, ["characters"], None),
]


def test_bad_code_is_named_and_the_lab_stays_alive(page):
    """One page and one code worker for every case: each is refused with the same words as
    natively, and good code and a built-in run work right after it."""
    for code, words, line in BAD:
        spec = dict(BOOTH, optimizers=[{"name": "sgd", "lr": 0.01}, custom(code)])
        with pytest.raises(descentlab.SpecError) as native:
            descentlab.run(spec, allow_code=True)
        out = settle(page, "run", spec)
        assert not out["ok"], out
        assert out["kind"] == "SpecError" and out["field"].startswith("optimizers[1].code"), out
        for word in words:
            assert word.lower() in out["message"].lower(), (word, out["message"])
        if line is not None:
            assert f"line {line}" in out["message"], out["message"]
        assert (out["field"], out["message"]) == (native.value.field, native.value.message)  # the same words natively
        ok = settle(page, "run", dict(spec, optimizers=[{"name": "sgd", "lr": 0.01}, custom(GOOD)]))
        assert ok["ok"], ok
        assert settle(page, "run", dict(BOOTH, optimizers=[{"name": "adam"}]))["ok"]


def test_non_finite_updates_are_a_divergence_never_nan(page):
    """An update of NaN is a run that blew up: "diverged at step 1", and no NaN in the path."""
    code = TINY.replace("return -lr * grads, state", "return grads * float('nan'), state")
    spec = dict(BOOTH, optimizers=[custom(code)])
    native = descentlab.run(spec, allow_code=True)
    out = settle(page, "run", spec)
    assert out["ok"], out
    run = out["result"]["runs"][0]
    assert run["diverged_at"] == native["runs"][0]["diverged_at"] == 1
    assert run["path"] == [list(map(float, p)) for p in native["runs"][0]["path"]]
    assert out["result"]["digest"] == native["digest"]
