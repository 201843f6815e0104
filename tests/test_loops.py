"""Network layer blocks, forks, SAM, Muon and Sophia: the loops that feed an optimizer more than a gradient."""

from __future__ import annotations

import numpy as np
import pytest

import descentlab
from descentlab import network
from descentlab.errors import SpecError
from descentlab.optimizers.copy import source_copy

NET = {"kind": "network", "dataset": {"name": "moons", "n": 80}, "epochs": 2, "model": {"hidden": [6, 5]}}


# ---------------------------------------------------------------------------
# 1. The network gives whole-array optimizers its layers
# ---------------------------------------------------------------------------

def _state(entry):
    spec = descentlab.validate(dict(NET, optimizers=[entry]))
    ctx = network._prepare(spec)
    return network._Run(spec["optimizers"][0], ctx, spec, "optimizers[0]").state, ctx["layout"]


def test_lamb_gets_one_block_per_weight_matrix_and_bias():
    state, layout = _state({"name": "lamb"})
    # 2 inputs -> 6 -> 5 -> 2 classes: W1 (2x6), b1, W2 (6x5), b2, W3 (5x2), b3
    assert state.blocks.tolist() == [[s, int(np.prod(shape))] for s, shape in network.layer_blocks(layout)]
    assert state.blocks[:, 1].tolist() == [12, 6, 30, 5, 10, 2]


def test_adafactor_factors_each_matrix():
    state, _ = _state({"name": "adafactor"})
    assert state.blocks[:, 1:].tolist() == [[2, 6], [6, 0], [6, 5], [5, 0], [5, 2], [2, 0]]
    assert state.row.size == 2 + 6 + 5 and state.col.size == 6 + 5 + 2


def test_per_layer_lamb_differs_from_one_block():
    # the trust ratio per layer is not the trust ratio of θ as one vector
    spec = descentlab.validate(dict(NET, optimizers=[{"name": "lamb", "lr": 0.01}]))
    ctx = network._prepare(spec)
    r = network._Run(spec["optimizers"][0], ctx, spec, "optimizers[0]")
    whole = r.opt.init(r.theta)
    idx = network._batches(len(ctx["Xtr"]), 32, 0, 0)[0]
    _, g = network.mlp.loss_and_grad(r.theta, ctx["layout"], ctx["Xtr"][idx], ctx["ytr"][idx], "tanh",
                                     "cross_entropy", 0.0)
    assert not np.array_equal(r.opt.update(g, r.state, r.theta)[0], r.opt.update(g, whole, r.theta)[0])


@pytest.mark.parametrize("name", ["lamb", "adafactor"])
def test_a_copy_takes_the_blocks_too_and_trains_bit_for_bit(name):
    spec = dict(NET, optimizers=[{"name": name, "lr": 0.01},
                                 {"name": "custom", "code": source_copy(name), "hyper": {"lr": 0.01}}])
    builtin, copy = descentlab.run(spec, allow_code=True)["runs"]
    assert copy["weights"] == builtin["weights"] and copy["train_loss"] == builtin["train_loss"]


def test_learner_init_without_blocks_still_gets_theta_only():
    code = ("def init(params):\n    return {'step': 0}\n\n"
            "def update(grads, state, params, lr=0.1):\n    return -lr * grads, {'step': state['step'] + 1}\n")
    spec = dict(NET, optimizers=[{"name": "sgd", "lr": 0.1}, {"name": "custom", "code": code}])
    sgd, mine = descentlab.run(spec, allow_code=True)["runs"]
    assert mine["weights"] == sgd["weights"]
