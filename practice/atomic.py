"""Write an output whole or not at all: a temporary file in the target's folder, then a rename.

The temporary file is `.NAME.XXXXXXXX.tmp` beside the target, so the rename never crosses a file system
and is atomic: a reader sees the old file or the new one, never half of one. Any failure or interruption
inside the block (an exception, Ctrl-C, SIGTERM through the CLI) removes the temporary file and leaves an
existing target untouched.
"""

import os
import signal
import threading
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import UserError


def _target(path: Path) -> Path:
    """The file that will be replaced: a symlink's target rather than the link itself."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def check_writable(path) -> Path:
    """Fail early, before any work, when `path` cannot be written. Returns the path to write."""
    path = Path(path)
    if not str(path) or path.name in ("", ".", ".."):
        raise UserError(f"output {str(path)!r} is not a file name; give one such as out.pdf")
    try:
        target = _target(path)
        folder = target.parent
        if target.is_dir():
            raise UserError(f"output {path} is a directory; give a file name")
        if target.exists() and not target.is_file():
            raise UserError(f"output {path} is not a regular file (a device, pipe or socket); give a file name")
        if not folder.exists():
            raise UserError(f"output folder {folder} does not exist; create it or choose another output path")
        if not folder.is_dir():
            raise UserError(f"output folder {folder} is not a folder; choose another output path")
    except OSError as exc:  # a name too long, a symlink loop, ...
        raise UserError(f"cannot write {path}: {exc.strerror or exc}; choose another output path") from None
    except ValueError:  # an embedded NUL
        raise UserError(f"output {str(path)!r} is not a usable file name; choose another output path") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"output folder {folder} is not writable; choose another output path")
    return target


def _file_mode() -> int:
    """The mode a new file gets (0o666 less the umask), as if the tool had opened it directly."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _temporary(target: Path) -> str:
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise UserError(f"cannot write in {target.parent}: {exc.strerror or exc}; choose another output path") from None
    os.close(fd)
    return tmp


def _ready(tmp: str, target: Path, shown) -> None:
    """Give the finished temporary file the target's permissions and put it on disk, before the rename."""
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode) if target.is_file() else _file_mode()
        os.chmod(tmp, mode)
        with open(tmp, "rb+") as f:  # so a crash right after the rename cannot leave an empty target
            os.fsync(f.fileno())
    except OSError as exc:
        raise UserError(f"cannot write {shown}: {exc.strerror or exc}") from None


def _remove(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass


@contextmanager
def _signals_held():
    """Hold Ctrl-C and SIGTERM back until the block ends, then act on them as before.

    Python runs signal handlers in the main thread only, so swapping the handlers for recorders holds a
    signal back whichever thread the OS delivers it to."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {}
    for name in ("SIGINT", "SIGTERM"):
        sig = getattr(signal, name, None)
        handler = signal.getsignal(sig) if sig is not None else None
        if handler in (None, signal.SIG_IGN):
            continue
        previous[sig] = handler
        signal.signal(sig, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if caught:
            handler = previous[caught[0]]
            if callable(handler):
                handler(caught[0], None)
            else:  # SIG_DFL: let the signal do what it would have done
                signal.raise_signal(caught[0])


@contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; on success rename it over `path`, else remove it.

    The block writes the file at the yielded path however it likes (a library may open it by name)."""
    target = check_writable(path)
    tmp = None
    try:
        tmp = _temporary(target)
        yield Path(tmp)
        _ready(tmp, target, path)
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
        tmp = None
    finally:
        if tmp is not None:
            _remove(tmp)


@contextmanager
def atomic_paths(paths):
    """Several outputs that belong together (worksheets, their keys, the manifest), written as a set.

    Yields one temporary path per target, beside it. When the block succeeds every file is made ready
    first, then all are renamed in the order given with Ctrl-C and SIGTERM held back until the last
    rename: an interruption leaves the old set or the new set, never a mix. On any failure in the block
    no target is touched and every temporary file is removed."""
    paths = list(paths)
    targets = [check_writable(p) for p in paths]
    if len({os.path.abspath(t) for t in targets}) < len(targets):
        raise UserError(f"these outputs name the same file twice: {', '.join(map(str, paths))}; give distinct names")
    temps: list[str] = []
    try:
        for target in targets:
            temps.append(_temporary(target))
        yield [Path(t) for t in temps]
        for tmp, target, shown in zip(temps, targets, paths):
            _ready(tmp, target, shown)
        with _signals_held():
            for i, (tmp, target) in enumerate(zip(temps, targets)):
                try:
                    os.replace(tmp, target)
                except OSError as exc:  # rare after the checks: only the files before this one are new
                    temps = temps[i:]
                    raise UserError(f"cannot write {paths[i]}: {exc.strerror or exc}") from None
            temps = []
    finally:
        for tmp in temps:
            _remove(tmp)


def write_bytes(path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        try:
            tmp.write_bytes(data)
        except OSError as exc:  # a full disk, a quota
            raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None


def write_text(path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))
