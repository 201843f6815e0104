"""The inspector's substituted equations use the recorded numbers of the step."""

import pytest

import descentlab
from descentlab.inspector_text import TEMPLATES, explain
from descentlab.optimizers import REGISTRY


def test_every_optimizer_has_a_template():
    assert set(TEMPLATES) == set(REGISTRY)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_lines_end_in_the_recorded_update(name):
    r = descentlab.run({"kind": "landscape", "function": "booth", "steps": 3, "record_state": True,
                        "optimizers": [{"name": name}]})
    run = r["runs"][0]
    for t in (1, 2, 3):
        rec = {k: v[t - 1] for k, v in run["state"].items()}
        prev = {k: v[t - 2] for k, v in run["state"].items()} if t > 1 else None
        lines = explain(name, run["params"], t, rec, prev, run["path"][t - 1])
        assert lines[0]["equation"].startswith("g_t")
        last = next(l for l in lines if l["equation"].startswith("Δθ"))["values"]
        assert len(last) == 2
        for i in range(2):
            upd = rec["update"][i]
            shown = f"{upd:.6g}"
            assert last[i].endswith(shown) or last[i].endswith(f"({shown})"), (last[i], upd)


def test_adam_first_step_substitutes_hyper_parameters():
    r = descentlab.run({"kind": "landscape", "function": "booth", "steps": 1, "record_state": True,
                        "optimizers": [{"name": "adam", "lr": 0.1}]})
    run = r["runs"][0]
    rec = {k: v[0] for k, v in run["state"].items()}
    lines = {l["equation"].split(" ")[0]: l["values"][0] for l in explain("adam", run["params"], 1, rec, None,
                                                                           run["path"][0])}
    assert lines["m_t"].startswith("0.9×0 + 0.1×")
    assert "/ 0.1 =" in lines["m̂_t"]  # 1 - beta1^1
