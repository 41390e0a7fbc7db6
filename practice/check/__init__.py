"""Check your own engine: a learner's Value class run against generated problems, with this tool's engine
as the key, in a sandboxed child process; each failure explained by the mistake catalogue.

Kept light: the CLI imports this package at start-up (for `command`); everything else loads when used.
"""

from .cli import command

__all__ = ["command", "check_engine"]


def __getattr__(name):
    if name == "check_engine":
        from .api import check_engine

        return check_engine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
