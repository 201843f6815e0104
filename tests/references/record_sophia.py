"""Record reference trajectories of SophiaH and of a scheduled Muon, as a JSON fixture (``sophia.json``).

Run by hand where the reference packages are installed (see ``record_optimizers.py``)::

    /tmp/refenv/bin/python tests/references/record_sophia.py

Sophia: ``pytorch_optimizer.SophiaH`` (per-parameter path, ``foreach=False``) steps a point
of a 2-D test function, or of a small quadratic ½ θᵀAθ, in float64.  The function is
written here in torch, its gradient taken by autograd and its exact Hessian diagonal by
``torch.autograd.functional.hessian``, passed as ``step(hessian=[...])`` at the steps
where SophiaH refreshes its estimate ((t − 1) % update_period == 0) and at no other:
SophiaH uses any Hessian it is given, Descent Lab's loops give one only then.  A case
may carry a torch lr scheduler (``scheduler`` of record_schedules.py), stepped after
each step as torch does.

Muon: ``torch.optim.Muon`` with an lr scheduler on a (3, 4) matrix and a seeded
gradient sequence, Newton–Schulz in float64 as in ``record_loops.py``.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pytorch_optimizer
import torch
import torch.optim._muon as torch_muon

from record_loops import _ns64
from record_schedules import scheduler

OUT = Path(__file__).resolve().parent / "sophia.json"
STEPS = 30
MUON_STEPS = 12
QUAD_A = [[3.0, 0.5, 0.0, 0.2], [0.5, 1.0, -0.3, 0.0], [0.0, -0.3, -0.5, 0.1], [0.2, 0.0, 0.1, 8.0]]  # one negative


def _f(name: str):
    """The function, in torch (written apart from descentlab.surfaces)."""
    if name == "rosenbrock":
        return lambda t: (1 - t[0]) ** 2 + 100 * (t[1] - t[0] ** 2) ** 2
    if name == "himmelblau":
        return lambda t: (t[0] ** 2 + t[1] - 11) ** 2 + (t[0] + t[1] ** 2 - 7) ** 2
    if name == "beale":
        return lambda t: ((1.5 - t[0] + t[0] * t[1]) ** 2 + (2.25 - t[0] + t[0] * t[1] ** 2) ** 2
                          + (2.625 - t[0] + t[0] * t[1] ** 3) ** 2)
    if name == "six_hump_camel":
        return lambda t: ((4 - 2.1 * t[0] ** 2 + t[0] ** 4 / 3) * t[0] ** 2 + t[0] * t[1]
                          + (-4 + 4 * t[1] ** 2) * t[1] ** 2)
    if name == "quad4":
        a = torch.tensor(QUAD_A, dtype=torch.float64)
        return lambda t: 0.5 * t @ a @ t
    raise ValueError(name)


# (function, start, our hyper-parameters, schedule or None)
SOPHIA_CASES = [
    ("rosenbrock", [-1.2, 1.0], {"lr": 0.5, "p": 0.05, "update_period": 1}, None),
    ("himmelblau", [0.5, -1.5], {}, None),
    ("beale", [1.0, 1.5], {"lr": 0.2, "beta1": 0.9, "beta2": 0.95, "p": 0.1, "update_period": 3,
                           "weight_decay": 0.05}, None),
    ("six_hump_camel", [1.5, -0.8], {"lr": 0.1, "p": 0.5, "update_period": 2, "weight_decay": 0.1,
                                     "weight_decouple": False}, None),
    ("rosenbrock", [0.3, -0.4], {"lr": 0.3, "p": 0.1, "update_period": 4, "weight_decay": 0.01,
                                 "fixed_decay": True}, {"name": "cosine", "T_max": STEPS, "eta_min": 0.01}),
    ("himmelblau", [-3.0, 3.5], {"lr": 0.2, "p": 0.2, "update_period": 5},
     {"name": "onecycle", "max_lr": 0.5, "total_steps": STEPS}),
    ("quad4", [1.0, -2.0, 0.5, 0.3], {"lr": 0.2, "p": 0.5, "update_period": 2}, {"name": "step", "step_size": 7,
                                                                                  "gamma": 0.5}),
]

# (our hyper-parameters, schedule, seed)
MUON_CASES = [
    ({"lr": 0.02}, {"name": "cosine", "T_max": MUON_STEPS}, 11),
    ({"lr": 0.01, "momentum": 0.9, "nesterov": False, "weight_decay": 0.0},
     {"name": "onecycle", "max_lr": 0.05, "total_steps": MUON_STEPS}, 12),
    ({"lr": 0.03, "adjust_lr_fn": "match_rms_adamw"}, {"name": "step", "step_size": 4, "gamma": 0.3}, 13),
]

_TORCH_NAMES = {"beta1": None, "beta2": None}  # folded into betas


def _sophia_kwargs(hyper: dict) -> dict:
    kw = {k: v for k, v in hyper.items() if k not in _TORCH_NAMES}
    kw["betas"] = (hyper.get("beta1", 0.96), hyper.get("beta2", 0.99))
    return kw


def record_sophia(function, start, hyper, schedule) -> dict:
    f = _f(function)
    p = torch.nn.Parameter(torch.tensor(start, dtype=torch.float64))
    opt = pytorch_optimizer.SophiaH([p], foreach=False, **_sophia_kwargs(hyper))
    sched = scheduler(opt, schedule) if schedule else None
    k = hyper.get("update_period", 10)
    path, hessians = [], []
    for t in range(1, STEPS + 1):
        opt.zero_grad()
        f(p).backward()
        if (t - 1) % k == 0:
            h = torch.diagonal(torch.autograd.functional.hessian(f, p.detach())).clone()
            hessians.append(h.tolist())
            opt.step(hessian=[h])
        else:
            hessians.append(None)
            opt.step()
        if sched is not None:
            sched.step()
        path.append(p.detach().clone().tolist())
    return {"function": function, "start": start, "hyper": hyper, "schedule": schedule, "path": path,
            "hessian": hessians}


def record_muon(hyper, schedule, seed, shape=(3, 4)) -> dict:
    torch_muon._zeropower_via_newtonschulz = _ns64
    rng = np.random.default_rng(seed)
    p0 = rng.standard_normal(shape)
    grads = rng.standard_normal((MUON_STEPS, *shape))
    p = torch.nn.Parameter(torch.tensor(p0))
    opt = torch.optim.Muon([p], **hyper)
    sched = scheduler(opt, schedule)
    path = []
    for g in grads:
        p.grad = torch.tensor(g)
        opt.step()
        sched.step()
        path.append(p.detach().clone().tolist())
    return {"hyper": hyper, "schedule": schedule, "shape": list(shape), "params0": p0.tolist(),
            "grads": grads.tolist(), "path": path, "note": "float64 Newton-Schulz (torch casts to bfloat16)"}


def main() -> None:
    fixture = {"versions": {"torch": torch.__version__, "pytorch_optimizer": version("pytorch_optimizer")},
               "steps": STEPS, "quad4": QUAD_A, "sophia": [record_sophia(*c) for c in SOPHIA_CASES],
               "muon": [record_muon(*c) for c in MUON_CASES]}
    OUT.write_text(json.dumps(fixture, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
