"""A result's fingerprint: two results are equal exactly when their digests are.

The digest is the SHA-256 of a canonical byte stream built by walking the result
depth first, dictionary keys in sorted order (the ``"digest"`` key itself is
skipped).  Each leaf contributes one record::

    path  0x00  tag  0x00  payload

* ``path`` is the leaf's location, e.g. ``/runs/0/path`` (UTF-8);
* a list of numbers (of any nesting depth, rectangular) or a single number has
  tag ``f8``; its payload is the shape as little-endian int64 values followed by
  the numbers as little-endian IEEE-754 float64 (integers are converted; they
  are all far below 2**53);
* any other leaf (string, bool, null, ragged list element) has tag ``js`` and
  its payload is its JSON text.

Because every float's exact bits enter the hash, a single last-bit difference
between the browser and the native run changes the digest.
"""

from __future__ import annotations

import hashlib
import json
import numbers

import numpy as np


def _numeric_array(obj):
    """Return obj as a float64 array if it is a rectangular list of numbers, else None."""
    if isinstance(obj, bool):
        return None
    if isinstance(obj, numbers.Real) or isinstance(obj, np.ndarray):
        return np.asarray(obj, dtype=np.float64)
    if isinstance(obj, (list, tuple)) and obj:
        try:
            arr = np.asarray(obj)
        except ValueError:  # ragged
            return None
        if arr.dtype.kind in "fiu":
            return arr.astype(np.float64)
    return None


def _walk(obj, path: str, h) -> None:
    if isinstance(obj, dict):
        for key in sorted(obj):
            if path == "" and key == "digest":
                continue
            _walk(obj[key], f"{path}/{key}", h)
        return
    arr = _numeric_array(obj)
    if arr is not None:
        h.update(path.encode() + b"\0f8\0")
        h.update(np.asarray(arr.shape, dtype="<i8").tobytes())
        h.update(np.ascontiguousarray(arr, dtype="<f8").tobytes())
        return
    if isinstance(obj, (list, tuple)) and obj:
        h.update(path.encode() + b"\0list\0" + str(len(obj)).encode())
        for i, item in enumerate(obj):
            _walk(item, f"{path}/{i}", h)
        return
    h.update(path.encode() + b"\0js\0" + json.dumps(obj, sort_keys=True).encode())


def digest(result: dict) -> str:
    """SHA-256 hex digest of ``result`` (see the module docstring for the byte layout)."""
    h = hashlib.sha256()
    _walk(result, "", h)
    return h.hexdigest()
