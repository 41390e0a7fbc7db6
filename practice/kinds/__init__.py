"""The problem kinds. Each `build(rng, difficulty)` returns a Draft; names here are part of the interface."""

from . import expression, local, neuron, numeric
from .common import DIFFICULTIES, Draft, Redraw

KINDS = {
    "local": local.build,
    "expression": expression.build_expression,
    "neuron": neuron.build_neuron,
    "accumulate": expression.build_accumulate,
    "loss": neuron.build_loss,
    "step": neuron.build_step,
    "numeric": numeric.build,
}

__all__ = ["KINDS", "DIFFICULTIES", "Draft", "Redraw"]
