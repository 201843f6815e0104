"""Record reference trajectories of SAM and Muon, as a JSON fixture (``loops.json``).

Run by hand where the reference packages are installed (see ``record_optimizers.py``)::

    /tmp/refenv/bin/python tests/references/record_loops.py

SAM (``pytorch_optimizer.SAM`` with a torch base optimizer) needs the gradient at a
second point, so its cases step a parameter on a fixed function with a known
gradient, g(θ) = a θ + θ³ (f = Σ a θ²/2 + θ⁴/4), written out in torch as in
``tests/test_loops.py``.  Muon (``torch.optim.Muon``) steps a (3, 4) or (4, 3) matrix
with a seeded gradient sequence.

Where the packages compute in lower precision than the paper's equations, the
reference is patched to float64 and the case says so in ``note``:
pytorch_optimizer 4.1.0 takes SAM's gradient norm in float32
(``get_global_gradient_norm``), torch 2.13's Muon runs Newton–Schulz in bfloat16.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pytorch_optimizer
import pytorch_optimizer.optimizer.sam as po_sam
import torch
import torch.optim._muon as torch_muon

OUT = Path(__file__).resolve().parent / "loops.json"
STEPS = 8
A = [1.0, 3.0]  # SAM's function: g(θ) = a θ + θ³

BASES = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}

# (our base entry, torch base keyword arguments, rho, adaptive, start, note)
SAM_CASES = [
    ({"name": "sgd", "lr": 0.05}, dict(lr=0.05), 0.05, False, [1.2, -0.7], "float64 norm"),
    ({"name": "sgd", "lr": 0.02, "momentum": 0.9}, dict(lr=0.02, momentum=0.9), 0.3, False, [0.8, 1.1], "float64 norm"),
    ({"name": "adam", "lr": 0.05}, dict(lr=0.05), 0.1, True, [1.5, -0.4], "float64 norm; adaptive (ASAM)"),
]

# (our hyper-parameters, shape, seed)
MUON_CASES = [
    ({}, (3, 4), 1),
    ({"lr": 0.02, "momentum": 0.9, "nesterov": False, "weight_decay": 0.0}, (4, 3), 2),
    ({"lr": 0.01, "adjust_lr_fn": "match_rms_adamw", "ns_steps": 3}, (3, 4), 3),
]


def _norm64(param_groups, device=None, *, weight_adaptive=False):
    """pytorch_optimizer's get_global_gradient_norm (the squared global norm) in float64."""
    total = torch.zeros(1, dtype=torch.float64)
    for group in param_groups:
        adaptive = weight_adaptive and group.get("adaptive", False)
        for p in group["params"]:
            g = p.grad * p.abs() if adaptive else p.grad
            total = total + (g * g).sum()
    return total


def _ns64(grad, ns_coefficients, ns_steps, eps):
    """torch's _zeropower_via_newtonschulz without its cast to bfloat16."""
    a, b, c = ns_coefficients
    x = grad.clone()
    if grad.size(0) > grad.size(1):
        x = x.T
    x = x / x.norm().clamp(min=eps)
    for _ in range(ns_steps):
        gram = x @ x.T
        x = torch.addmm(x, torch.addmm(gram, gram, gram, beta=b, alpha=c), x, beta=a)
    return x.T if grad.size(0) > grad.size(1) else x


def record_sam(base, base_kwargs, rho, adaptive, start, note) -> dict:
    po_sam.get_global_gradient_norm = _norm64
    a = torch.tensor(A, dtype=torch.float64)
    p = torch.nn.Parameter(torch.tensor(start, dtype=torch.float64))
    opt = pytorch_optimizer.SAM([p], BASES[base["name"]], rho=rho, adaptive=adaptive, **base_kwargs)
    path, probes = [], []
    for _ in range(STEPS):
        with torch.no_grad():
            p.grad = a * p + p * p * p
        opt.first_step(zero_grad=False)
        probes.append(p.detach().clone().tolist())
        with torch.no_grad():
            p.grad = a * p + p * p * p
        opt.second_step(zero_grad=False)
        path.append(p.detach().clone().tolist())
    return {"base": base, "rho": rho, "adaptive": adaptive, "start": start, "a": A, "note": note,
            "path": path, "probe": probes}


def record_muon(hyper, shape, seed) -> dict:
    torch_muon._zeropower_via_newtonschulz = _ns64
    rng = np.random.default_rng(seed)
    p0 = rng.standard_normal(shape)
    grads = rng.standard_normal((STEPS, *shape))
    p = torch.nn.Parameter(torch.tensor(p0))
    opt = torch.optim.Muon([p], **hyper)
    path = []
    for g in grads:
        p.grad = torch.tensor(g)
        opt.step()
        path.append(p.detach().clone().tolist())
    return {"hyper": hyper, "shape": list(shape), "params0": p0.tolist(), "grads": grads.tolist(), "path": path,
            "note": "float64 Newton-Schulz (torch casts to bfloat16)"}


def main() -> None:
    fixture = {"versions": {"torch": torch.__version__, "pytorch_optimizer": version("pytorch_optimizer")},
               "steps": STEPS, "sam": [record_sam(*c) for c in SAM_CASES],
               "muon": [record_muon(*c) for c in MUON_CASES]}
    OUT.write_text(json.dumps(fixture, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
