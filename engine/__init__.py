"""A tiny scalar autograd engine in the style of micrograd."""

from .value import DomainError, Value

__all__ = ["Value", "DomainError"]
