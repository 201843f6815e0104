"""The optimizers of Descent Lab, one module per family, and their registry.

Each optimizer is a factory binding its hyper-parameters (names and defaults as
in PyTorch's ``torch.optim``) and returning an ``Optimizer(init, update)`` pair
of pure functions; see ``base.py``.  ``REGISTRY`` describes every optimizer the
page offers: defaults, allowed ranges, paper, a summary and its update rule as
text.  ``make`` builds one by name and ``record`` extracts what the inspector
shows for one step.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from . import adadelta as _adadelta
from . import adagrad as _adagrad
from . import adam as _adam
from . import lion as _lion
from . import nadam as _nadam
from . import rmsprop as _rmsprop
from . import sgd as _sgd
from .adadelta import AdadeltaState, adadelta
from .adagrad import AdagradState, adagrad
from .adam import AdamState, adam, adamw
from .base import Optimizer
from .lion import LionState, lion
from .nadam import NAdamState, nadam
from .rmsprop import RMSpropState, rmsprop
from .sgd import SGDState, sgd

__all__ = [
    "Optimizer", "OptimizerInfo", "REGISTRY", "make", "record",
    "sgd", "adagrad", "rmsprop", "adadelta", "adam", "adamw", "nadam", "lion",
    "SGDState", "AdagradState", "RMSpropState", "AdadeltaState", "AdamState", "NAdamState", "LionState",
]


class OptimizerInfo(NamedTuple):
    """What the rest of Descent Lab knows about one registered optimizer.

    Attributes
    ----------
    name : str
        Registry key, e.g. ``"adam"``.
    factory : callable
        ``factory(**hyper) -> Optimizer``.
    defaults : dict
        Every hyper-parameter with its default value.
    ranges : dict
        ``name -> (lo, hi, kind)``; bounds are inclusive, kind is ``"float"``
        (linear slider), ``"log"`` (log-scale slider), ``"int"`` or ``"bool"``.
    title : str
        Display name.
    paper : str
        Citation of the paper that introduced the method.
    summary : str
        The problem it solves and when to prefer it.
    equations : str
        The update rule in plain text (unicode), one equation per line.
    trace : callable
        ``trace(grads, old_state, new_state, updates, hyper) -> dict``; see ``record``.
    """

    name: str
    factory: Callable
    defaults: dict
    ranges: dict
    title: str
    paper: str
    summary: str
    equations: str
    trace: Callable


LR = (1e-6, 10.0, "log")
BETA = (0.0, 0.9999, "float")   # a decay rate in [0, 1): 1 would never forget
WEIGHT_DECAY = (0.0, 1.0, "float")
EPS = (1e-12, 1e-1, "log")
BOOL = (False, True, "bool")

PAPERS = {
    "sgd": "Robbins, H. & Monro, S. (1951). A stochastic approximation method. Ann. Math. Statist. 22(3), 400-407.",
    "momentum": "Polyak, B. T. (1964). Some methods of speeding up the convergence of iteration methods. "
                "USSR Comput. Math. Math. Phys. 4(5), 1-17.",
    "nesterov": "Nesterov, Y. (1983). A method for solving the convex programming problem with convergence "
                "rate O(1/k²). Soviet Math. Dokl. 27, 372-376; in the form of Sutskever, I., Martens, J., "
                "Dahl, G. & Hinton, G. (2013). On the importance of initialization and momentum in deep "
                "learning. ICML.",
    "adagrad": "Duchi, J., Hazan, E. & Singer, Y. (2011). Adaptive subgradient methods for online learning "
               "and stochastic optimization. JMLR 12, 2121-2159.",
    "rmsprop": "Hinton, G., Srivastava, N. & Swersky, K. (2012). Neural networks for machine learning, "
               "lecture 6e. Coursera; centered variant: Graves, A. (2013). Generating sequences with "
               "recurrent neural networks. arXiv:1308.0850.",
    "adadelta": "Zeiler, M. D. (2012). ADADELTA: an adaptive learning rate method. arXiv:1212.5701.",
    "adam": "Kingma, D. P. & Ba, J. (2015). Adam: a method for stochastic optimization. ICLR.",
    "adamw": "Loshchilov, I. & Hutter, F. (2019). Decoupled weight decay regularization. ICLR.",
    "amsgrad": "Reddi, S. J., Kale, S. & Kumar, S. (2018). On the convergence of Adam and beyond. ICLR.",
    "nadam": "Dozat, T. (2016). Incorporating Nesterov momentum into Adam. ICLR Workshop.",
    "lion": "Chen, X., Liang, C., Huang, D., Real, E., Wang, K., Liu, Y., Pham, H., Dong, X., Luong, T., "
            "Hsieh, C.-J., Lu, Y. & Le, Q. V. (2023). Symbolic discovery of optimization algorithms. NeurIPS.",
}

SUMMARIES = {
    "sgd": "Step against the gradient with a fixed step size. The baseline every other method is measured "
           "against: cheap, memory-free and, with a well-chosen step size, hard to beat on well-conditioned "
           "problems. On ill-conditioned ones (long narrow valleys) a step size small enough for the steep "
           "directions is far too small for the flat ones, and a larger one zig-zags across the valley.",
    "momentum": "Heavy-ball momentum: accumulate a velocity that keeps a fraction μ of the previous step. "
                "Oscillations across a narrow valley cancel while the consistent downhill component adds up, "
                "so progress along flat directions speeds up by roughly 1/(1-μ). Prefer it to plain SGD "
                "almost always; it remains a strong choice for convolutional networks.",
    "nesterov": "Nesterov's accelerated gradient: like momentum, but the gradient is effectively taken at the "
                "point the velocity is about to carry the parameters to, so the method brakes before "
                "overshooting. Provably faster on smooth convex problems and usually a little more stable "
                "than heavy-ball momentum at the same μ.",
    "adagrad": "Give each coordinate its own step size, divided by the root of the sum of all its past squared "
               "gradients. Rare features (sparse gradients) keep large steps while frequent ones are damped, "
               "and the step size needs little tuning. Because the sum only grows, learning eventually stalls: "
               "good for convex and sparse problems, less so for long non-convex training.",
    "rmsprop": "AdaGrad with a forgetting sum: divide by the root of an exponential moving average of squared "
               "gradients, so the step size adapts to recent gradient scale without decaying to zero. The "
               "centered variant divides by the variance estimate instead, and momentum can be added on top. "
               "A classic for recurrent networks and non-stationary objectives.",
    "adadelta": "Remove the global step size altogether: scale each step by the ratio of the running RMS of past "
                "updates to the running RMS of gradients, which has the units of the parameters (an "
                "approximate diagonal Newton step). Robust to the choice of hyper-parameters, but starts with "
                "tiny steps and is often slower than Adam in practice.",
    "adam": "Momentum plus RMSprop scaling, with both moving averages bias-corrected for their zero start. "
            "Each coordinate moves by about η in the direction of its smoothed gradient, whatever the "
            "gradient's scale, which makes Adam the default first choice for deep networks: fast and "
            "forgiving of the step size. It can generalise worse than SGD with momentum on some vision tasks.",
    "adamw": "Adam with weight decay applied directly to the weights rather than added to the gradient. In Adam, "
             "an L2 term in the gradient is divided by √v̂ like the rest, so weights with large gradients are "
             "barely regularised; decoupling restores the intended shrinkage ηλθ. The standard optimizer for "
             "training transformers and whenever weight decay matters.",
    "amsgrad": "Adam whose denominator uses the running maximum of the second moment, so a coordinate's step "
               "size can never grow again. This repairs a convergence failure of Adam on problems where rare "
               "large gradients are forgotten too quickly. Prefer it when Adam's loss is unstable late in "
               "training; in common practice it performs similarly to Adam.",
    "nadam": "Adam with Nesterov momentum: the bias-corrected first moment looks one step ahead, mixing the "
             "next step's momentum with the current gradient, and the momentum coefficient warms up over the "
             "first steps. Often converges a little faster than Adam at no extra cost.",
    "lion": "Discovered by an automated program search: step by the sign of an interpolation between the "
            "momentum and the current gradient, so every coordinate moves by exactly ±η. Keeps a single "
            "moving average (half of Adam's memory) and, with a 3-10x smaller step size and larger decoupled "
            "weight decay than AdamW, matches or beats it on large vision and language models.",
}

_L2 = "g_t = ∇f(θ_{t−1}) + λ θ_{t−1}"        # L2 weight decay enters the gradient
_DECOUPLED = "g_t = ∇f(θ_{t−1})"               # weight decay acts on θ directly
_ADAM_MOMENTS = ["m_t = β₁ m_{t−1} + (1 − β₁) g_t", "v_t = β₂ v_{t−1} + (1 − β₂) g_t²"]
_EQUATIONS = {
    "sgd": [_L2, "θ_t = θ_{t−1} − η g_t"],
    "momentum": [_L2, "b_t = μ b_{t−1} + (1 − τ) g_t     (b_1 = g_1)", "θ_t = θ_{t−1} − η b_t",
                 "ema: τ = μ and b_0 = 0, so b_t is an average of past gradients"],
    "nesterov": [_L2, "b_t = μ b_{t−1} + g_t     (b_1 = g_1)", "θ_t = θ_{t−1} − η (g_t + μ b_t)"],
    "adagrad": [_L2, "η_t = η / (1 + (t − 1) κ)", "G_t = G_{t−1} + g_t²", "θ_t = θ_{t−1} − η_t g_t / (√G_t + ε)"],
    "rmsprop": [_L2, "v_t = α v_{t−1} + (1 − α) g_t²",
                "centered: ḡ_t = α ḡ_{t−1} + (1 − α) g_t,  ṽ_t = v_t − ḡ_t²   (else ṽ_t = v_t)",
                "b_t = μ b_{t−1} + g_t / (√ṽ_t + ε)", "θ_t = θ_{t−1} − η b_t"],
    "adadelta": [_L2, "E[g²]_t = ρ E[g²]_{t−1} + (1 − ρ) g_t²",
                 "Δθ_t = √(E[Δθ²]_{t−1} + ε) / √(E[g²]_t + ε) · g_t",
                 "E[Δθ²]_t = ρ E[Δθ²]_{t−1} + (1 − ρ) Δθ_t²", "θ_t = θ_{t−1} − η Δθ_t"],
    "adam": [_L2, *_ADAM_MOMENTS, "m̂_t = m_t / (1 − β₁ᵗ)", "v̂_t = v_t / (1 − β₂ᵗ)",
             "θ_t = θ_{t−1} − η m̂_t / (√v̂_t + ε)"],
    "adamw": [_DECOUPLED, *_ADAM_MOMENTS, "m̂_t = m_t / (1 − β₁ᵗ)", "v̂_t = v_t / (1 − β₂ᵗ)",
              "θ_t = θ_{t−1} − η λ θ_{t−1} − η m̂_t / (√v̂_t + ε)"],
    "amsgrad": [_L2, *_ADAM_MOMENTS, "v_t^max = max(v_{t−1}^max, v_t)", "m̂_t = m_t / (1 − β₁ᵗ)",
                "v̂_t = v_t^max / (1 − β₂ᵗ)", "θ_t = θ_{t−1} − η m̂_t / (√v̂_t + ε)"],
    "nadam": ["μ_t = β₁ (1 − ½ · 0.96^(t ψ))", _L2, *_ADAM_MOMENTS,
              "m̂_t = μ_{t+1} m_t / (1 − Π_{i≤t+1} μ_i) + (1 − μ_t) g_t / (1 − Π_{i≤t} μ_i)",
              "v̂_t = v_t / (1 − β₂ᵗ)", "θ_t = θ_{t−1} − η m̂_t / (√v̂_t + ε)"],
    "lion": [_DECOUPLED, "c_t = β₁ m_{t−1} + (1 − β₁) g_t", "θ_t = θ_{t−1} − η (sign(c_t) + λ θ_{t−1})",
             "m_t = β₂ m_{t−1} + (1 − β₂) g_t"],
}
_SGD_SYMBOLS = "η = lr, μ = momentum, τ = dampening, λ = weight_decay"
_ADAM_SYMBOLS = "η = lr, β₁ = beta1, β₂ = beta2, ε = eps, λ = weight_decay"
_SYMBOLS = {
    "sgd": "η = lr, λ = weight_decay", "momentum": _SGD_SYMBOLS, "nesterov": _SGD_SYMBOLS,
    "adagrad": "η = lr, κ = lr_decay, G_0 = initial_accumulator_value, ε = eps, λ = weight_decay",
    "rmsprop": "η = lr, α = alpha, ε = eps, μ = momentum, λ = weight_decay",
    "adadelta": "η = lr, ρ = rho, ε = eps, λ = weight_decay",
    "adam": _ADAM_SYMBOLS, "adamw": _ADAM_SYMBOLS, "amsgrad": _ADAM_SYMBOLS,
    "nadam": _ADAM_SYMBOLS + ", ψ = momentum_decay",
    "lion": "η = lr, β₁ = beta1, β₂ = beta2, λ = weight_decay",
}
EQUATIONS = {name: "\n".join(lines + ["where " + _SYMBOLS[name]]) for name, lines in _EQUATIONS.items()}

TITLES = {"sgd": "SGD", "momentum": "SGD + momentum", "nesterov": "Nesterov momentum", "adagrad": "AdaGrad",
          "rmsprop": "RMSprop", "adadelta": "Adadelta", "adam": "Adam", "adamw": "AdamW", "amsgrad": "AMSGrad",
          "nadam": "NAdam", "lion": "Lion"}


def _sgd_ranges(momentum_lo: float) -> dict:
    return {"lr": LR, "momentum": (momentum_lo, 0.999, "float"), "dampening": (0.0, 1.0, "float"),
            "weight_decay": WEIGHT_DECAY, "nesterov": BOOL, "ema": BOOL}


_ADAM_RANGES = {"lr": LR, "beta1": BETA, "beta2": (0.0, 0.99999, "float"), "eps": EPS,
                "weight_decay": WEIGHT_DECAY, "amsgrad": BOOL}

_SPECS = [
    # name, factory, trace, defaults, ranges
    ("sgd", sgd, _sgd.trace,
     dict(lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, ema=False), _sgd_ranges(0.0)),
    ("momentum", sgd, _sgd.trace,
     dict(lr=1e-3, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False, ema=False), _sgd_ranges(0.0)),
    ("nesterov", sgd, _sgd.trace,
     dict(lr=1e-3, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=True, ema=False), _sgd_ranges(0.001)),
    ("adagrad", adagrad, _adagrad.trace,
     dict(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10),
     {"lr": LR, "lr_decay": (0.0, 1.0, "float"), "weight_decay": WEIGHT_DECAY,
      "initial_accumulator_value": (0.0, 10.0, "float"), "eps": EPS}),
    ("rmsprop", rmsprop, _rmsprop.trace,
     dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False),
     {"lr": LR, "alpha": BETA, "eps": EPS, "weight_decay": WEIGHT_DECAY,
      "momentum": (0.0, 0.999, "float"), "centered": BOOL}),
    ("adadelta", adadelta, _adadelta.trace,
     dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0),
     {"lr": LR, "rho": BETA, "eps": EPS, "weight_decay": WEIGHT_DECAY}),
    ("adam", adam, _adam.trace,
     dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, amsgrad=False), _ADAM_RANGES),
    ("adamw", adamw, _adam.trace,
     dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2, amsgrad=False), _ADAM_RANGES),
    ("amsgrad", adam, _adam.trace,
     dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, amsgrad=True), _ADAM_RANGES),
    ("nadam", nadam, _nadam.trace,
     dict(lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, momentum_decay=4e-3),
     {"lr": LR, "beta1": BETA, "beta2": (0.0, 0.99999, "float"), "eps": EPS,
      "weight_decay": WEIGHT_DECAY, "momentum_decay": (0.0, 0.1, "float")}),
    ("lion", lion, _lion.trace,
     dict(lr=1e-4, beta1=0.9, beta2=0.99, weight_decay=0.0),
     {"lr": LR, "beta1": BETA, "beta2": BETA, "weight_decay": WEIGHT_DECAY}),
]

REGISTRY: dict[str, OptimizerInfo] = {
    name: OptimizerInfo(name=name, factory=factory, defaults=defaults, ranges=dict(ranges),
                        title=TITLES[name], paper=PAPERS[name], summary=SUMMARIES[name],
                        equations=EQUATIONS[name], trace=trace)
    for name, factory, trace, defaults, ranges in _SPECS
}


def _full_hyper(name: str, hyper: dict) -> dict:
    if name not in REGISTRY:
        raise KeyError(f"unknown optimizer {name!r}; known: {', '.join(REGISTRY)}")
    defaults = REGISTRY[name].defaults
    unknown = sorted(set(hyper) - set(defaults))
    if unknown:
        raise ValueError(f"{name}: unknown hyper-parameter {unknown[0]!r}; known: {', '.join(defaults)}")
    return {**defaults, **hyper}


def make(name: str, **hyper) -> Optimizer:
    """Build the registered optimizer ``name``, unspecified hyper-parameters at their defaults.

    Raises
    ------
    KeyError
        Unknown optimizer name.
    ValueError
        Unknown hyper-parameter, or an inconsistent combination (e.g. Nesterov
        with dampening).  Ranges are checked by the spec validation, not here.
    """
    full = _full_hyper(name, hyper)
    return REGISTRY[name].factory(**full)


def record(name: str, grads, old_state, new_state, updates, hyper=None) -> dict[str, np.ndarray]:
    """What the inspector shows for one step ``updates, new_state = update(grads, old_state, params)``.

    Every value is an array shaped like the parameters, keyed by the symbol's
    name in the paper (arrays may share memory with the states: do not modify):

    ============  =================================================================
    optimizer     keys besides ``grad`` (raw gradient) and ``update`` (θ_t - θ_{t-1})
    ============  =================================================================
    sgd family    ``momentum_buffer`` (b_t) when momentum > 0
    adagrad       ``sum_sq`` (G_t)
    rmsprop       ``square_avg`` (v_t); ``grad_avg`` (ḡ_t) if centered;
                  ``momentum_buffer`` (b_t) if momentum > 0
    adadelta      ``square_avg`` (E[g²]_t), ``acc_delta`` (E[Δθ²]_t), ``delta`` (Δθ_t)
    adam, adamw,  ``m``, ``v``, ``m_hat``, ``v_hat``; ``v_max`` with AMSGrad
    amsgrad
    nadam         ``m``, ``v``, ``m_hat``, ``v_hat``
    lion          ``m``, ``c`` (c_t, whose sign is the step)
    ============  =================================================================

    Parameters
    ----------
    name : str
        Registry name.
    grads, updates : ndarray
        The gradient passed to ``update`` and the updates it returned.
    old_state, new_state : NamedTuple
        The state passed to ``update`` and the one it returned.
    hyper : dict, optional
        The hyper-parameters given to ``make`` (defaults filled in).
    """
    return REGISTRY[name].trace(grads, old_state, new_state, updates, _full_hyper(name, hyper or {}))
