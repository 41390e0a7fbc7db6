"""Write an output whole or not at all: a temporary file in the target's folder, then a rename."""

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import UserError


def check_writable(path) -> Path:
    """Fail early, before any work, when `path` cannot be written."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UserError(f"output {path} is a directory; give a file name")
    if not folder.is_dir():
        raise UserError(f"output folder {folder} does not exist; create it or choose another -o path")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"output folder {folder} is not writable; choose another -o path")
    return path


@contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; on success rename it over `path`, else remove it."""
    path = check_writable(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_bytes(path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text(path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))
