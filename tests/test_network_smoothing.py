"""The smoothed per-step loss the network view draws: computed by the core, streamed like the loss."""

import pytest

from descentlab import network
from descentlab.api import run

SPEC = {"kind": "network", "dataset": {"name": "moons", "n": 120, "noise": 0.2, "seed": 0}, "epochs": 3,
        "batch_size": 16, "optimizers": [{"name": "sgd", "lr": 0.1}, {"name": "adam", "lr": 0.01}]}


def reference_ema(values, beta):
    """The bias-corrected exponential moving average, written the plain way."""
    out, m = [], 0.0
    for t, v in enumerate(values, start=1):
        m = beta * m + (1 - beta) * v
        out.append(m / (1 - beta ** t))
    return out


def test_smoothed_loss_is_the_bias_corrected_ema_of_the_loss():
    result = run(SPEC)
    assert result["loss_ema_beta"] == network.LOSS_EMA_BETA
    for r in result["runs"]:
        assert len(r["train_loss_ema"]) == len(r["train_loss"]) > 10
        assert r["train_loss_ema"][0] == pytest.approx(r["train_loss"][0], rel=1e-12)  # no pull towards 0
        assert r["train_loss_ema"] == pytest.approx(reference_ema(r["train_loss"], network.LOSS_EMA_BETA), rel=1e-9)
        # smoother: its steps are smaller than the raw loss's
        jumps = lambda xs: sum(abs(a - b) for a, b in zip(xs, xs[1:]))  # noqa: E731
        assert jumps(r["train_loss_ema"]) < jumps(r["train_loss"])


def test_smoothed_loss_streams_with_the_loss():
    spec = network.read_spec(SPEC)
    streamed = [[] for _ in SPEC["optimizers"]]
    for item in network.iterate(spec):
        for i, p in enumerate(item.get("runs", [])):
            assert len(p["train_loss_ema"]) == len(p["train_loss"])
            streamed[i].extend(p["train_loss_ema"])
        if "result" in item:
            assert streamed == [r["train_loss_ema"] for r in item["result"]["runs"]]
