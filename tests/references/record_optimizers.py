"""Record reference trajectories of the modern optimizers, as a JSON fixture.

Run by hand where the reference packages are installed (not by the test suite; the
fixture it writes is committed and ``tests/test_modern_optimizers.py`` compares with it)::

    python3 -m venv /tmp/refenv
    /tmp/refenv/bin/pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
    /tmp/refenv/bin/pip install numpy==2.0.2 schedulefree==1.4.1 pytorch_optimizer==4.1.0
    /tmp/refenv/bin/python tests/references/record_optimizers.py

(Plain ``pip install torch==2.13.0`` works too, with CUDA libraries you do not need.)

Each case steps one float64 parameter (a 2-element vector, like a landscape's (x, y),
or a (3, 4) matrix, like a network's weight matrix) with a fixed gradient sequence
drawn from a seeded generator, so the trajectory does not depend on any function,
and records the parameter after every step (schedule-free AdamW also records its z
and its evaluation point x).  ``hyper`` is what Descent Lab's optimizer is given,
``kwargs`` what the reference constructor was given; where our optimizer follows the
paper and the package does not, the case is recorded with the package's settings
that match the paper, and ``package_default`` marks a case recorded with the
package's own default to show the difference (see the test).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytorch_optimizer
import schedulefree
import torch

OUT = Path(__file__).resolve().parent / "optimizers.json"
STEPS = 8
VEC, MAT = (2,), (3, 4)

# (optimizer, our hyper-parameters, reference constructor keyword arguments, shape, seed, note)
CASES = [
    ("adafactor", {}, {}, VEC, 1, ""),
    ("adafactor", {}, {}, MAT, 2, ""),
    ("adafactor", dict(lr=0.05, weight_decay=0.1, d=1.5, eps2=1e-2), dict(lr=0.05, weight_decay=0.1, d=1.5,
                                                                          eps=(None, 1e-2)), MAT, 3, ""),
    ("adafactor", dict(beta2_decay=-0.5, eps1=1e-10, maximize=True, lr=0.3),
     dict(beta2_decay=-0.5, eps=(1e-10, 1e-3), maximize=True, lr=0.3), VEC, 4, ""),
    ("schedulefree_adamw", {}, {}, VEC, 5, ""),
    ("schedulefree_adamw", dict(lr=0.05, beta1=0.8, weight_decay=0.1, warmup_steps=3, r=0.5, weight_lr_power=1.5),
     dict(lr=0.05, betas=(0.8, 0.999), weight_decay=0.1, warmup_steps=3, r=0.5, weight_lr_power=1.5), VEC, 6, ""),
    ("ademamix", {}, {}, VEC, 7, ""),
    ("ademamix", dict(lr=0.01, alpha=8.0, beta3=0.999, t_alpha_beta3=5, weight_decay=0.1),
     dict(lr=0.01, alpha=8.0, betas=(0.9, 0.999, 0.999), t_alpha_beta3=5, weight_decay=0.1, weight_decouple=True),
     VEC, 8, "paper: decoupled weight decay (package default weight_decouple=False)"),
    ("adan", {}, {}, VEC, 9, ""),
    ("adan", dict(lr=0.01, beta1=0.9, beta2=0.8, beta3=0.95, weight_decay=0.1),
     dict(lr=0.01, betas=(0.9, 0.8, 0.95), weight_decay=0.1), VEC, 10, ""),
    ("lamb", dict(eps=0.0), dict(adam_debias=True, eps=0.0), VEC, 11,
     "paper: bias-corrected r_t, no eps in the trust ratio (package: adam_debias=False, eps in ||r|| + eps)"),
    ("lamb", dict(eps=0.0, lr=0.01), dict(adam_debias=True, eps=0.0, lr=0.01), MAT, 12, "as above"),
    ("lamb", {}, {}, VEC, 11, "package_default"),
    ("prodigy", dict(eps=0.0), dict(eps=0.0), VEC, 13, "paper: d_{t-1} eps in the denominator (package: d_t eps)"),
    ("prodigy", dict(eps=0.0, lr=0.5, weight_decay=0.1, d0=1e-3), dict(eps=0.0, lr=0.5, weight_decay=0.1, d0=1e-3),
     VEC, 14, "as above"),
    ("prodigy", {}, {}, VEC, 13, "package_default"),
]

CONSTRUCTORS = {
    "adafactor": torch.optim.Adafactor,
    "schedulefree_adamw": schedulefree.AdamWScheduleFree,
    "ademamix": pytorch_optimizer.AdEMAMix,
    "adan": pytorch_optimizer.Adan,
    "lamb": pytorch_optimizer.Lamb,
    "prodigy": pytorch_optimizer.Prodigy,
}


def record(name, hyper, kwargs, shape, seed, note) -> dict:
    rng = np.random.default_rng(seed)
    params0 = rng.standard_normal(shape)
    grads = rng.standard_normal((STEPS, *shape))
    p = torch.tensor(params0, dtype=torch.float64, requires_grad=True)
    opt = CONSTRUCTORS[name]([p], **kwargs)
    if name == "schedulefree_adamw":
        opt.train()
    out = {"optimizer": name, "hyper": hyper, "kwargs": {k: list(v) if isinstance(v, tuple) else v
                                                          for k, v in kwargs.items()},
           "note": note, "shape": list(shape), "params0": params0.tolist(), "grads": grads.tolist(), "params": []}
    if name == "schedulefree_adamw":
        out["z"], out["x"] = [], []
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        out["params"].append(p.detach().numpy().tolist())
        if name == "schedulefree_adamw":  # x from y = (1 − β₁) z + β₁ x, as the package's eval() does
            z = opt.state[p]["z"].numpy()
            beta1 = opt.param_groups[0]["betas"][0]
            out["z"].append(z.tolist())
            out["x"].append(((p.detach().numpy() - (1 - beta1) * z) / beta1).tolist())
    return out


def main() -> None:
    torch.set_default_dtype(torch.float64)
    fixture = {"versions": {"torch": torch.__version__, "schedulefree": _version("schedulefree"),
                            "pytorch_optimizer": _version("pytorch_optimizer"), "numpy": np.__version__},
               "steps": STEPS, "cases": [record(*case) for case in CASES]}
    OUT.write_text(json.dumps(fixture, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(fixture['cases'])} cases to {OUT}")


def _version(package: str) -> str:
    from importlib.metadata import version
    return version(package)


if __name__ == "__main__":
    main()
