"""Descent Lab: neural-network optimizers written from scratch in NumPy, to be watched.

``run(spec)`` takes a JSON spec (see :mod:`descentlab.api`) and returns a JSON
result; the browser worker and the command line both call it, and both give the
same bits (every operation that could differ goes through
:mod:`descentlab.kernels`).
"""

__version__ = "0.1.0"

from importlib import import_module  # noqa: E402

from .api import iter_run, run, validate  # noqa: E402
from .errors import SpecError  # noqa: E402

# Imported on first use (PEP 562), not with the package: the browser imports this package
# before its first live scene (a landscape), which needs none of these, and every module
# imported there costs start-up time (the catalog pulls in describe and its vocabulary:
# about a fifth of the package's import time). name -> (module, attribute or None: the module)
_ON_FIRST_USE = {
    "list_catalog": ("catalog", "list_catalog"),
    "LLM_PROMPT": ("describe", "LLM_PROMPT"),
    "parse_llm_answer": ("describe", "parse_llm_answer"),
    "trace": ("tracing", "trace"),  # the module is "tracing": the function must not shadow it
    "exercises": ("exercises", None),
    "kernel_digests": ("selftest", "kernel_digests"),
}


def __getattr__(name: str):
    if name not in _ON_FIRST_USE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _ON_FIRST_USE[name]
    loaded = import_module(f"{__name__}.{module}")
    return loaded if attribute is None else getattr(loaded, attribute)


def __dir__() -> list:
    return sorted(set(globals()) | set(_ON_FIRST_USE))


def llm_prompt() -> str:
    """The system prompt the page sends to a user-configured chat endpoint."""
    from .describe import LLM_PROMPT  # on first use: see _ON_FIRST_USE
    return LLM_PROMPT


__all__ = ["run", "iter_run", "validate", "list_catalog", "kernel_digests", "trace", "exercises",
           "llm_prompt", "parse_llm_answer", "SpecError", "__version__"]
