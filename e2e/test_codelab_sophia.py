"""'Edit a copy' of Sophia in the page: the copy (its wants_hessian, the Hessian the loop passes)
races bit for bit like the built-in Sophia (SAM's and Muon's copies: test_codelab_sam_muon.py)."""
from __future__ import annotations

import json
import urllib.parse

from conftest import wait_digest
from test_codelab import CODE_TIMEOUT, panel_code, runs, same_bits, save

SOPHIA_LINK = "#landscape?function=rosenbrock&start=[-1.2,1]&steps=80&optimizers=" + urllib.parse.quote(
    json.dumps([{"name": "sophia", "params": {"lr": 0.05, "update_period": 3}}]), safe="")


def test_edit_a_copy_of_sophia_races_bit_for_bit(opened, server):
    page = opened(server + SOPHIA_LINK)
    first = wait_digest(page)
    # the entry's text choice goes into the copy's signature (on a landscape the Hessian is exact:
    # the draws matter in a network, tests/test_learner_sophia.py)
    page.select_option("[data-field='optimizers[0].hessian_distribution']", "rademacher")
    before = wait_digest(page, first)
    page.get_by_role("button", name="Edit a copy of Sophia (run 1)").click()
    code = panel_code(page)
    assert "def wants_hessian(" in code and "hessian" in code.split("def update(")[1].split(")")[0]
    assert 'hessian_distribution="rademacher"' in code
    save(page)
    page.wait_for_function("() => window.descentlab.view.result && window.descentlab.view.result.runs.length === 2",
                           timeout=CODE_TIMEOUT)
    wait_digest(page, before, timeout=CODE_TIMEOUT)
    assert runs(page) == ["sophia", "custom"]
    assert same_bits(page, 0, 1), "the copy of Sophia must race exactly like the built-in Sophia"
    item = page.locator(".opt-item.opt-custom")
    assert item.locator("[data-field='optimizers[1].hyper.update_period']").input_value() == "3"  # the run's k

