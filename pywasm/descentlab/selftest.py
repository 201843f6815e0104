"""Fingerprints of every deterministic kernel on fixed inputs, for the parity test.

The browser calls ``kernel_digests()`` through the worker and the test compares
it with the native call: equal digests mean every kernel returned the same bits
on every input, edge cases included.
"""

from __future__ import annotations

import hashlib

import numpy as np

from . import kernels as K

_SEED = 20240607
_EDGES = np.array([0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-300, 1e-20, 2.0**-54,
                   2.0**-27, 0.25, 0.3, 0.5, 0.5493061443340549, 0.625, 0.78125, 1.0, 1.5, 2.0,
                   3.141592653589793, 10.0, 22.0, 40.0, 100.0, 700.0, 709.782712893384, 709.8,
                   745.1, 746.0, 1e300, 1.7976931348623157e308, np.inf, np.nan], dtype=np.float64)


def kernel_inputs() -> dict[str, np.ndarray]:
    """Named input arrays: edge cases of both signs and random values over many scales."""
    rng = np.random.default_rng(_SEED)
    edges = np.concatenate([_EDGES, -_EDGES])
    return {
        "edges": edges,
        "unit": rng.uniform(-1.0, 1.0, 4096),
        "medium": rng.uniform(-50.0, 50.0, 4096),
        "wide": rng.uniform(-750.0, 750.0, 4096),
        # powers of two, not 10.0 ** u: np.power is libm and would make the inputs differ already
        "scales": np.ldexp(rng.standard_normal(4096), rng.integers(-1000, 1000, 4096)),
        "positive": np.ldexp(1.0 + rng.random(4096), rng.integers(-1020, 1020, 4096)),
        "matrix": rng.standard_normal((37, 64)),
    }


def _digest(arr) -> str:
    return hashlib.sha256(np.ascontiguousarray(arr, dtype="<f8").tobytes()).hexdigest()


def kernel_outputs() -> dict[str, np.ndarray]:
    inputs = kernel_inputs()
    vectors = np.concatenate([inputs[k] for k in ("edges", "unit", "medium", "wide", "scales", "positive")])
    out = {}
    with np.errstate(all="ignore"):
        for name in ("exp", "expm1", "log", "log1p", "tanh", "sigmoid", "softplus", "sin", "cos"):
            out[name] = getattr(K, name)(vectors)
        m = inputs["matrix"]
        out["powi"] = np.concatenate([K.powi(inputs["unit"] * 2.0, n) for n in (0, 1, 2, 3, 7, 100)])
        out["logsumexp"] = K.logsumexp(m * 30.0, axis=1)
        out["log_softmax"] = K.log_softmax(m * 30.0, axis=0)
        out["softmax"] = K.softmax(m, axis=1)
        out["matmul_mm"] = K.matmul(m, m.T)
        out["matmul_tall"] = K.matmul(m.T, m[:, :3])
        out["matmul_mv"] = K.matmul(m, m[0])
        out["matmul_vm"] = K.matmul(m[:, 0], m)
        out["dot"] = np.asarray(K.dot(m[0], m[1]))
        # the shapes a small MLP multiplies: batch x features @ features x width, and back
        for n, k, w in ((32, 2, 16), (32, 16, 16), (16, 32, 16), (32, 16, 1), (1, 16, 3), (300, 64, 10), (2, 37, 2)):
            out[f"matmul_{n}x{k}x{w}"] = K.matmul(m.ravel()[: n * k].reshape(n, k) if n * k <= m.size
                                                   else np.resize(m, (n, k)), np.resize(m.T, (k, w)))
    return out


def kernel_digests() -> dict[str, str]:
    """SHA-256 of each kernel's output bytes on :func:`kernel_inputs`."""
    return {name: _digest(arr) for name, arr in kernel_outputs().items()}
