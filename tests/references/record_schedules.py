"""Record torch.optim.lr_scheduler's learning rates step by step, as JSON fixtures.

Run by hand where PyTorch is installed (not by the test suite; the fixtures it
writes are committed and ``tests/test_schedules.py`` compares with them)::

    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0 numpy==2.0.2
    PYTHONPATH=pywasm /tmp/torchenv/bin/python tests/references/record_schedules.py

For each case it builds a torch optimizer on one parameter, the scheduler, and then
records ``group["lr"]`` (and, for onecycle, ``group["momentum"]`` or ``group["betas"][0]``)
*before* each ``optimizer.step()``, calling ``scheduler.step()`` after it: the
hyper-parameters the t-th optimizer step uses, t = 1..steps.  ``warmup_cosine`` and
``wsd`` are torch compositions (``SequentialLR``); the 1-sqrt decay of wsd, which
torch does not ship, is a ``LambdaLR`` written from Hägele et al. (2024), eq. in sec. 3.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import torch
from torch.optim import lr_scheduler as S

OUT = Path(__file__).resolve().parent / "schedules.json"

# (schedule as a Descent Lab spec gives it, optimizer, base lr, steps recorded)
CASES = [
    ({"name": "step", "step_size": 30}, "sgd", 0.1, 100),
    ({"name": "step", "step_size": 7, "gamma": 0.5}, "adam", 0.003, 60),
    ({"name": "multistep", "milestones": [10, 25, 60]}, "sgd", 0.1, 80),
    ({"name": "multistep", "milestones": [3, 4, 50], "gamma": 0.7}, "adam", 0.01, 70),
    ({"name": "exponential", "gamma": 0.95}, "sgd", 0.5, 200),
    ({"name": "exponential", "gamma": 0.999}, "adam", 0.001, 1000),
    ({"name": "cosine", "T_max": 200}, "sgd", 0.1, 200),
    ({"name": "cosine", "T_max": 50, "eta_min": 0.001}, "adam", 0.01, 150),
    ({"name": "cosine", "T_max": 1000, "eta_min": 1e-5}, "sgd", 0.05, 1001),
    ({"name": "linear"}, "sgd", 0.1, 20),
    ({"name": "linear", "start_factor": 0.01, "end_factor": 1.0, "total_iters": 100}, "adam", 0.001, 150),
    ({"name": "linear", "start_factor": 1.0, "end_factor": 0.0, "total_iters": 50}, "sgd", 0.2, 80),
    ({"name": "onecycle", "max_lr": 0.1, "total_steps": 100}, "sgd", 0.1, 100),
    ({"name": "onecycle", "max_lr": 0.01, "total_steps": 1000, "pct_start": 0.25, "anneal_strategy": "linear"},
     "adam", 0.001, 1000),
    ({"name": "onecycle", "max_lr": 0.05, "total_steps": 200, "three_phase": True, "div_factor": 10.0,
      "final_div_factor": 100.0, "base_momentum": 0.8, "max_momentum": 0.9}, "rmsprop", 0.01, 200),
    ({"name": "onecycle", "max_lr": 0.3, "total_steps": 77, "cycle_momentum": False, "pct_start": 0.5},
     "adagrad", 0.01, 77),
    ({"name": "warmup_cosine", "warmup_steps": 10, "total_steps": 100}, "sgd", 0.1, 101),
    ({"name": "warmup_cosine", "warmup_steps": 50, "total_steps": 500, "eta_min": 1e-4, "start_factor": 0.01},
     "adam", 0.001, 501),
    ({"name": "wsd", "warmup_steps": 10, "decay_steps": 20, "total_steps": 100}, "sgd", 0.1, 120),
    ({"name": "wsd", "decay_steps": 30, "total_steps": 90, "end_factor": 0.1}, "adam", 0.001, 100),
    ({"name": "wsd", "warmup_steps": 20, "decay_steps": 100, "total_steps": 300, "start_factor": 0.05,
      "decay_shape": "1-sqrt"}, "sgd", 0.1, 320),
]

OPTIMIZERS = {
    "sgd": lambda p, lr: torch.optim.SGD(p, lr=lr),
    "adam": lambda p, lr: torch.optim.Adam(p, lr=lr),
    "rmsprop": lambda p, lr: torch.optim.RMSprop(p, lr=lr),
    "adagrad": lambda p, lr: torch.optim.Adagrad(p, lr=lr),
}


def scheduler(opt, s: dict):
    """The torch scheduler (or composition) a Descent Lab schedule names, torch's defaults for the rest."""
    kw = {k: v for k, v in s.items() if k != "name"}
    name = s["name"]
    if name == "step":
        return S.StepLR(opt, **kw)
    if name == "multistep":
        return S.MultiStepLR(opt, **kw)
    if name == "exponential":
        return S.ExponentialLR(opt, **kw)
    if name == "cosine":
        return S.CosineAnnealingLR(opt, **kw)
    if name == "linear":
        return S.LinearLR(opt, **kw)
    if name == "onecycle":
        return S.OneCycleLR(opt, **kw)
    start = kw.get("start_factor", 1.0 / 3.0)
    warm = kw.get("warmup_steps", 0)
    total = kw["total_steps"]
    if name == "warmup_cosine":
        return S.SequentialLR(opt, [S.LinearLR(opt, start, 1.0, warm),
                                    S.CosineAnnealingLR(opt, T_max=total - warm, eta_min=kw.get("eta_min", 0.0))],
                              milestones=[warm])
    if name == "wsd":
        decay, end = kw["decay_steps"], kw.get("end_factor", 0.0)
        if kw.get("decay_shape", "linear") == "1-sqrt":
            def factor(e):  # Hägele et al. (2024): 1 - sqrt of the fraction of the cooldown done
                if e < warm:
                    return start + (1.0 - start) * e / warm
                done = min(max(e - (total - decay), 0), decay) / decay
                return end + (1.0 - end) * (1.0 - math.sqrt(done))
            return S.LambdaLR(opt, factor)
        parts = [S.ConstantLR(opt, factor=1.0, total_iters=0), S.LinearLR(opt, 1.0, end, decay)]
        milestones = [total - decay]
        if warm:
            parts.insert(0, S.LinearLR(opt, start, 1.0, warm))
            milestones.insert(0, warm)
        return S.SequentialLR(opt, parts, milestones=milestones)
    raise ValueError(name)


def record(s: dict, optimizer: str, base_lr: float, steps: int) -> dict:
    param = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = OPTIMIZERS[optimizer]([param], base_lr)
    sched = scheduler(opt, s)
    group = opt.param_groups[0]
    lrs, momenta = [], []
    for _ in range(steps):
        lrs.append(float(group["lr"]))
        if "betas" in group:
            momenta.append(float(group["betas"][0]))
        elif "momentum" in group:
            momenta.append(float(group["momentum"]))
        param.grad = torch.ones_like(param)
        opt.step()
        sched.step()
    case = {"schedule": s, "optimizer": optimizer, "base_lr": base_lr, "steps": steps, "lr": lrs}
    if s["name"] == "onecycle" and s.get("cycle_momentum", True):
        case["momentum"] = momenta
    return case


def main() -> None:
    warnings.simplefilter("error")  # a scheduler warning means the recording is not what we think
    cases = [record(*c) for c in CASES]
    lines = ",\n".join(json.dumps(c, separators=(",", ":")) for c in cases)  # a case a line: readable diffs
    OUT.write_text(f'{{"torch": {json.dumps(torch.__version__)}, "cases": [\n{lines}\n]}}\n')
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
