"""Descent Lab: neural-network optimizers written from scratch in NumPy, to be watched.

``run(spec)`` takes a JSON spec (see :mod:`descentlab.api`) and returns a JSON
result; the browser worker and the command line both call it, and both give the
same bits (every operation that could differ goes through
:mod:`descentlab.kernels`).
"""

__version__ = "0.1.0"

from .api import iter_run, run, validate  # noqa: E402
from .catalog import list_catalog  # noqa: E402
from .errors import SpecError  # noqa: E402
from .describe import LLM_PROMPT, parse_llm_answer  # noqa: E402
from .tracing import trace  # noqa: E402  (the module is "tracing": the function must not shadow it)
from . import exercises  # noqa: E402


def llm_prompt() -> str:
    """The system prompt the page sends to a user-configured chat endpoint."""
    return LLM_PROMPT

from .selftest import kernel_digests  # noqa: E402

__all__ = ["run", "iter_run", "validate", "list_catalog", "kernel_digests", "trace", "exercises",
           "llm_prompt", "parse_llm_answer", "SpecError", "__version__"]
