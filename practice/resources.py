"""Where the bundled data lives: beside the package when installed, at the top of a checkout otherwise."""

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The folder `templates` or `decks`, wherever this copy of the tool keeps it."""
    installed = _HERE / name
    if installed.is_dir():
        return installed
    return _HERE.parent / name


def templates_dir() -> Path:
    return data_dir("templates")


def decks_dir() -> Path:
    return data_dir("decks")
