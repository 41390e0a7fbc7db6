"""What ENGINE names: a .py file, a package folder, or a notebook's code cells (shell and magic lines left out)."""

import json
from pathlib import Path

from ..errors import UserError

MAX_BYTES = 20 * (1 << 20)


def target(path) -> dict:
    """The child's description of the code to load; a UserError (exit 2) when ENGINE is not something to check."""
    p = Path(path)
    if not p.exists():
        raise UserError(f"{path}: no such file or folder; give a .py file, a package folder or an .ipynb notebook")
    resolved = str(p.resolve())
    if p.is_dir():
        if not (p / "__init__.py").is_file():
            raise UserError(f"{path} is a folder without __init__.py; give the .py file that holds your Value class "
                            "(or check a folder of submissions with --csv)")
        return {"kind": "package", "path": resolved}
    if p.suffix == ".py":
        return {"kind": "py", "path": resolved}
    if p.suffix == ".ipynb":
        return {"kind": "ipynb", "path": resolved, "cells": notebook_cells(p)}
    raise UserError(f"{path} is not a .py file, a package folder or an .ipynb notebook")


def notebook_cells(path: Path) -> list:
    """[(cell number, code)] of a notebook's code cells; lines starting with % or ! (IPython magics and shell
    commands) and cells starting with %% are left out, never run."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise UserError(f"{path} is larger than {MAX_BYTES >> 20} MB; is it a notebook?")
        doc = json.loads(path.read_text(encoding="utf-8"))
        cells = doc["cells"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise UserError(f"{path} is not a readable notebook ({type(exc).__name__}); save it again from Jupyter") from None
    out = []
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if source.lstrip().startswith("%%"):
            continue
        lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
        out.append([number, "\n".join(lines) + "\n"])
    return out


def submissions(folder) -> list[Path]:
    """The submissions in an instructor's folder: each .py file, notebook and package folder, by name."""
    p = Path(folder)
    if not p.is_dir():
        raise UserError(f"{folder} is not a folder; --csv checks every submission in a folder")
    found = [q for q in sorted(p.iterdir()) if not q.name.startswith(".")
             and ((q.is_file() and q.suffix in (".py", ".ipynb")) or (q.is_dir() and (q / "__init__.py").is_file()))]
    if not found:
        raise UserError(f"{folder} holds no .py file, notebook or package folder to check")
    return found
