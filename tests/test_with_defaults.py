"""``optimizers.base.with_defaults`` binds hyper-parameters by name, read from the code object."""

import inspect

import pytest

from descentlab import optimizers
from descentlab.optimizers import sam
from descentlab.optimizers.base import with_defaults

FUNCTIONS = ([info.module.update for info in optimizers.REGISTRY.values()] + [sam.probe]
             + [m.update for m in optimizers.EXTRA.values() if hasattr(m, "update")])


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f"{f.__module__}.{f.__name__}")
def test_each_default_lands_on_its_own_name(fn):
    params = inspect.signature(fn).parameters
    named = [n for n, p in params.items() if p.default is not inspect.Parameter.empty
             and p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    # a distinct marker per name: a shifted or swapped binding shows as a wrong marker
    values = {name: f"<{name}>" for name in named}
    copy = with_defaults(fn, values)
    bound = dict(zip(named, copy.__defaults__))
    assert bound == values
    assert copy.__code__ is fn.__code__ and copy.__doc__ == fn.__doc__


def test_unnamed_values_keep_their_defaults():
    fn = optimizers.REGISTRY["adam"].module.update
    copy = with_defaults(fn, {"lr": 0.5})
    sig = inspect.signature(copy).parameters
    assert sig["lr"].default == 0.5
    assert sig["eps"].default == inspect.signature(fn).parameters["eps"].default
