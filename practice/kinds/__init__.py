"""The problem kinds. Each `build(rng, difficulty)` returns a Draft; names here are part of the interface."""

from . import expression, local, neuron, numeric
from . import batch, find_error, hinge, mlp, train, zero_grad  # the training lesson
from .common import DIFFICULTIES, Draft, Redraw

TRAINING = ("mlp", "batch", "zero_grad", "train", "hinge", "find_error")  # tested in tests/test_training_kinds.py

KINDS = {
    "local": local.build,
    "expression": expression.build_expression,
    "neuron": neuron.build_neuron,
    "accumulate": expression.build_accumulate,
    "loss": neuron.build_loss,
    "step": neuron.build_step,
    "numeric": numeric.build,
    "mlp": mlp.build,
    "batch": batch.build,
    "zero_grad": zero_grad.build,
    "train": train.build,
    "hinge": hinge.build,
    "find_error": find_error.build,
}

__all__ = ["KINDS", "DIFFICULTIES", "Draft", "Redraw", "TRAINING"]
