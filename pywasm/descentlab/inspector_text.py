"""One optimizer step written out with its live numbers, for the page's inspector.

Given what ``optimizers.record`` captured at step t (and at step t-1), each
line of the update rule is rendered twice: with symbols, and with the numbers
of one coordinate substituted, ending in the value the optimizer computed.  The
numbers are the recorded ones, not recomputed, so what the learner reads is
exactly what ran.
"""

from __future__ import annotations

from . import kernels as K

# Each optimizer: lines of (symbolic equation, the same with {placeholders}).  A
# line whose placeholders are not all available at this step is left out (for
# example the momentum buffer of plain SGD).  "_prev" is the value at step t-1.
_SGD = [
    ("g_t = ∇f(θ_{t−1}) + λ θ_{t−1}", "{grad} + {weight_decay}×{theta_prev} = {g_wd}"),
    ("b_t = μ b_{t−1} + (1 − τ) g_t", "{momentum}×{momentum_buffer_prev} + {one_minus_dampening}×{g_wd} "
                                      "= {momentum_buffer}"),
    ("Δθ_t = −η · (g_t + μ b_t if nesterov else b_t)", "−{lr} × … = {update}"),
]
_ADAM = [
    ("g_t = ∇f(θ_{t−1})", "{grad}"),
    ("m_t = β₁ m_{t−1} + (1 − β₁) g_t", "{beta1}×{m_prev} + {one_minus_beta1}×{grad} = {m}"),
    ("v_t = β₂ v_{t−1} + (1 − β₂) g_t²", "{beta2}×{v_prev} + {one_minus_beta2}×{grad}² = {v}"),
    ("v_max,t = max(v_max,t−1, v_t)", "max({v_max_prev}, {v}) = {v_max}"),
    ("m̂_t = m_t / (1 − β₁ᵗ)", "{m} / {bias1} = {m_hat}"),
    ("v̂_t = v_t / (1 − β₂ᵗ)", "{v} / {bias2} = {v_hat}"),
    ("Δθ_t = −η m̂_t / (√v̂_t + ε)  (AdamW: − η λ θ_{t−1})", "−{lr}×{m_hat} / (√{v_hat} + {eps}) = {update}"),
]
_NADAM = [
    ("g_t = ∇f(θ_{t−1})", "{grad}"),
    ("m_t = β₁ m_{t−1} + (1 − β₁) g_t", "{beta1}×{m_prev} + {one_minus_beta1}×{grad} = {m}"),
    ("v_t = β₂ v_{t−1} + (1 − β₂) g_t²", "{beta2}×{v_prev} + {one_minus_beta2}×{grad}² = {v}"),
    ("m̂_t (Nesterov look-ahead of m_t and g_t)", "{m_hat}"),
    ("v̂_t = v_t / (1 − β₂ᵗ)", "{v} / {bias2} = {v_hat}"),
    ("Δθ_t = −η m̂_t / (√v̂_t + ε)", "−{lr}×{m_hat} / (√{v_hat} + {eps}) = {update}"),
]
_ADAGRAD = [
    ("g_t = ∇f(θ_{t−1})", "{grad}"),
    ("G_t = G_{t−1} + g_t²", "{sum_sq_prev} + {grad}² = {sum_sq}"),
    ("Δθ_t = −η̃ g_t / (√G_t + ε)", "−η̃×{grad} / (√{sum_sq} + {eps}) = {update}"),
]
_RMSPROP = [
    ("g_t = ∇f(θ_{t−1})", "{grad}"),
    ("v_t = α v_{t−1} + (1 − α) g_t²", "{alpha}×{square_avg_prev} + {one_minus_alpha}×{grad}² = {square_avg}"),
    ("ḡ_t = α ḡ_{t−1} + (1 − α) g_t", "{alpha}×{grad_avg_prev} + {one_minus_alpha}×{grad} = {grad_avg}"),
    ("b_t = μ b_{t−1} + g_t / (√ṽ_t + ε)", "{momentum}×{momentum_buffer_prev} + … = {momentum_buffer}"),
    ("Δθ_t = −η b_t  (b_t = g_t / (√ṽ_t + ε) without momentum)", "{update}"),
]
_ADADELTA = [
    ("g_t = ∇f(θ_{t−1})", "{grad}"),
    ("v_t = ρ v_{t−1} + (1 − ρ) g_t²", "{rho}×{square_avg_prev} + {one_minus_rho}×{grad}² = {square_avg}"),
    ("Δx_t = √(u_{t−1} + ε) / √(v_t + ε) · g_t", "√({acc_delta_prev} + {eps}) / √({square_avg} + {eps}) × {grad} "
                                                 "= {delta}"),
    ("u_t = ρ u_{t−1} + (1 − ρ) Δx_t²", "{rho}×{acc_delta_prev} + {one_minus_rho}×{delta}² = {acc_delta}"),
    ("Δθ_t = −η Δx_t", "−{lr}×{delta} = {update}"),
]
_LION = [
    ("g_t = ∇f(θ_{t−1})", "{grad}"),
    ("c_t = β₁ m_{t−1} + (1 − β₁) g_t", "{beta1}×{m_prev} + {one_minus_beta1}×{grad} = {c}"),
    ("Δθ_t = −η (sign(c_t) + λ θ_{t−1})", "−{lr}×(sign({c}) + {weight_decay}×{theta_prev}) = {update}"),
    ("m_t = β₂ m_{t−1} + (1 − β₂) g_t", "{beta2}×{m_prev} + {one_minus_beta2}×{grad} = {m}"),
]
_ADAMAX = [
    ("g_t = ∇f(θ_{t−1})", "{grad}"),
    ("m_t = β₁ m_{t−1} + (1 − β₁) g_t", "{beta1}×{m_prev} + {one_minus_beta1}×{grad} = {m}"),
    ("u_t = max(β₂ u_{t−1}, |g_t| + ε)", "max({beta2}×{u_prev}, |{grad}| + {eps}) = {u}"),
    ("Δθ_t = −(η / (1 − β₁ᵗ)) m_t / u_t", "−({lr} / {bias1})×{m} / {u} = {update}"),
]
TEMPLATES = {"sgd": _SGD, "momentum": _SGD, "nesterov": _SGD, "adam": _ADAM, "adamw": _ADAM,
             "amsgrad": _ADAM, "nadam": _NADAM, "adagrad": _ADAGRAD, "rmsprop": _RMSPROP,
             "adadelta": _ADADELTA, "adamax": _ADAMAX, "lion": _LION}
SIGNIFICANT = 6  # digits shown per number


def _fmt(v: float) -> str:
    text = f"{v:.{SIGNIFICANT}g}"
    return f"({text})" if v < 0 else text  # so that "(-2)²" is not read as "-(2²)"


def explain(name: str, params: dict, t: int, record: dict, previous: dict | None, theta_prev) -> list[dict]:
    """The update rule of step ``t`` with the numbers of each coordinate substituted.

    Parameters
    ----------
    name : str
        Registry id of the optimizer.
    params : dict
        Its hyper-parameters (as in a landscape result's run).
    t : int
        Step number, from 1.
    record, previous : dict
        ``optimizers.record`` output at step t and at step t-1 (None at t = 1:
        every state starts at zero, except ``acc_delta``/``sum_sq`` starting values).
    theta_prev : sequence of float, shape (d,)
        The parameters before the step.

    Returns
    -------
    list of dict
        ``{"equation": symbolic line, "values": [substituted line per coordinate]}``.
    """
    d = len(theta_prev)
    scalars = {k: float(v) for k, v in params.items() if not isinstance(v, bool)}
    for key in ("beta1", "beta2", "alpha", "rho"):
        if key in scalars:
            scalars[f"one_minus_{key}"] = 1.0 - scalars[key]
    if "dampening" in scalars:
        scalars["one_minus_dampening"] = 1.0 - scalars["dampening"]
    if "beta1" in scalars:
        scalars["bias1"] = 1.0 - float(K.powi(scalars["beta1"], t))
        scalars["bias2"] = 1.0 - float(K.powi(scalars["beta2"], t))
    lines = []
    for equation, template in TEMPLATES[name]:
        values = []
        for i in range(d):
            numbers = {k: _fmt(v) for k, v in scalars.items()}
            numbers["theta_prev"] = _fmt(float(theta_prev[i]))
            for key, arr in record.items():
                numbers[key] = _fmt(float(arr[i]))
                prev = previous[key][i] if previous and key in previous else (
                    params.get("initial_accumulator_value", 0.0) if key == "sum_sq" else 0.0)
                numbers[f"{key}_prev"] = _fmt(float(prev))
            if "grad" in record:
                wd = scalars.get("weight_decay", 0.0)
                numbers["g_wd"] = _fmt(float(record["grad"][i]) + wd * float(theta_prev[i]))
            try:
                values.append(template.format(**numbers))
            except KeyError:
                values = None
                break
        if values is not None:
            lines.append({"equation": equation, "values": values})
    return lines
