"""Backprop Practice: practice material for the micrograd lesson."""

__version__ = "0.1.0"
GENERATOR = f"backprop-practice {__version__}"
