"""A multilayer perceptron from scratch, on one flat parameter vector θ.

Modules, one concept each: ``layout`` (where parameters live in θ),
``activations``, ``losses``, ``layers`` (dense forward/backward), ``init``
(Xavier/He), ``mlp`` (the network: forward, backpropagation, prediction).
"""

from .activations import ACTIVATIONS
from .init import init_params
from .layout import Layout, make_layout, unpack
from .losses import LOSSES, n_outputs
from .mlp import (accuracy, decision_grid, forward, hidden_activations, loss_and_grad,
                  predict, predict_class)

__all__ = [
    "ACTIVATIONS", "LOSSES", "Layout", "accuracy", "decision_grid", "forward",
    "hidden_activations", "init_params", "loss_and_grad", "make_layout", "n_outputs",
    "predict", "predict_class", "unpack",
]
