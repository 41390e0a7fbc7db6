"""What runs in the child process: load the learner's code, find their value class, run each check and
send back what every named node holds, one JSON line per event on the result pipe.

The child is a fork of the checker: what it needs is loaded before the learner's code runs (and the
checker's own modules are then forgotten, so the learner's `engine` is theirs). The learner's code may
print, loop, exit or crash: the parent (sandbox.py) watches and limits it.
"""

import builtins
import importlib
import inspect
import json
import linecache
import math
import os
import pkgutil
import random
import sys
import traceback
import types

from .checks import METHODS, OPS, apply

HERE = os.path.dirname(os.path.abspath(__file__))
DATA_NAMES = ("data", "val", "value", "v", "x")
GRAD_NAMES = ("grad", "gradient", "g", "dx")
BACKWARD_NAMES = ("backward", "backprop", "back_prop", "backpropagate", "backward_pass")
PROBE = 2.5


class LoadError(Exception):
    """The learner's code could not be loaded, or holds no value class: the message says which."""


class Reporter:
    def __init__(self, fd: int):
        self.fd = fd

    def send(self, event: dict) -> None:
        data = (json.dumps(event) + "\n").encode()
        while data:
            data = data[os.write(self.fd, data):]


WRITES = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
REFUSED = {"os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.link", "os.symlink", "os.truncate", "os.chmod",
           "os.chown", "os.utime", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
           "subprocess.Popen", "socket.connect", "socket.bind", "shutil.rmtree", "shutil.move"}


def _guard(event: str, args: tuple) -> None:
    """An audit hook: the learner's code may read files, never write, delete, run programs or connect.
    (The file-size limit already stops writing a byte; this stops even creating an empty file.)"""
    if event == "open":
        path, mode, flags = (tuple(args) + (None, None, 0))[:3]
        if isinstance(path, int):  # an open file descriptor (the standard streams)
            return
        if (isinstance(mode, str) and any(c in mode for c in "wax+")) or (mode is None and (flags or 0) & WRITES):
            raise PermissionError(f"the checker does not let the code write files (it opened {path!r} to write)")
    elif event in REFUSED:
        raise PermissionError(f"the checker does not let the code do {event} during a check")


def _no_input(prompt=""):
    raise EOFError("input() was called, but nobody can type during a check")


def describe(exc: BaseException) -> str:
    """An exception as a learner reads it: TypeError: unsupported operand ... (line 12: return self * other)."""
    if isinstance(exc, SystemExit):
        text = f"the code called sys.exit({'' if exc.code is None else repr(exc.code)})"
    elif isinstance(exc, KeyboardInterrupt):
        text = "the code raised KeyboardInterrupt"
    else:
        message = str(exc).splitlines()[0] if str(exc) else ""
        text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    text = text[:300]
    where = _learner_line(exc)
    return f"{text} ({where})" if where else text


def _learner_line(exc: BaseException) -> str | None:
    """The innermost frame of the traceback that is the learner's code (not this checker's)."""
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if not os.path.abspath(frame.filename).startswith(HERE + os.sep) and not frame.filename.startswith("<frozen"):
            found = frame
    if found is None or found.lineno is None:
        return None
    line = (found.line or "").strip()
    return f"{shown_file(found.filename)} line {found.lineno}" + (f": {line[:120]}" if line else "")


def shown_file(filename: str) -> str:
    return os.path.basename(filename) if os.path.isabs(filename) else filename


# ---------------------------------------------------------------- loading


def _purge_modules() -> None:
    """Forget the checker's own modules (its `engine` above all), so `from engine import Value` in the
    learner's folder finds the learner's file. Objects already loaded here keep working."""
    keep = set(sys.builtin_module_names) | set(sys.stdlib_module_names)
    for name in list(sys.modules):
        if name.split(".")[0] not in keep:
            del sys.modules[name]


def _module_name(path: str) -> str:
    stem = os.path.splitext(os.path.basename(path))[0]
    return stem if stem.isidentifier() else "learner_engine"


def load(target: dict) -> tuple[list, list[str]]:
    """The namespaces of the learner's code (module dicts) and notes about what was skipped."""
    kind = target["kind"]
    if kind == "class":
        module = sys.modules.get(target["cls"].__module__)
        return [vars(module) if module else {target["cls"].__name__: target["cls"]}], []
    _purge_modules()
    path = target["path"]
    notes = []
    if kind == "package":
        sys.path.insert(0, os.path.dirname(path))
        package = importlib.import_module(os.path.basename(path))
        spaces = [vars(package)]
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            spaces.append(vars(importlib.import_module(info.name)))
        return spaces, notes
    sys.path.insert(0, os.path.dirname(path))
    name = _module_name(path)
    module = types.ModuleType(name)
    module.__file__ = path
    sys.modules[name] = module
    if kind == "py":
        with open(path, encoding="utf-8", errors="replace") as f:
            source = f.read()
        exec(compile(source, path, "exec"), vars(module))
        return [vars(module)], notes
    for number, source in target["cells"]:  # a notebook: cell by cell; a cell that fails is skipped and noted
        filename = f"{os.path.basename(path)} cell {number}"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        try:
            exec(compile(source, filename, "exec"), vars(module))
        except (Exception, SystemExit) as exc:
            if isinstance(exc, SyntaxError):
                raise
            notes.append(f"cell {number} stopped: {describe(exc)}")
    return [vars(module)], notes


def _own_classes(spaces: list) -> list[type]:
    modules = {space.get("__name__") for space in spaces}
    seen, out = set(), []
    for space in spaces:
        for obj in list(space.values()):
            if isinstance(obj, type) and obj.__module__ in modules and obj not in seen:
                seen.add(obj)
                out.append(obj)
    return out


def _probe(cls, names: dict) -> dict | None:
    """data, grad and backward names of a candidate class, or None if it is not a value class."""
    try:
        instance = cls(PROBE)
    except Exception:
        return None
    attrs = {}
    for key, candidates in (("data", DATA_NAMES), ("grad", GRAD_NAMES)):
        wanted = PROBE if key == "data" else 0
        given = names.get(key)
        options = [given] if given else candidates
        attrs[key] = next((n for n in options if _number_is(getattr(instance, n, None), wanted)), None)
    given = names.get("backward")
    options = [given] if given else BACKWARD_NAMES
    attrs["backward"] = next((n for n in options if callable(getattr(cls, n, None))), None)
    return attrs if all(attrs.values()) else None


def _number_is(x, wanted) -> bool:
    try:
        return not isinstance(x, bool) and float(x) == wanted
    except (TypeError, ValueError, OverflowError):
        return False


def find_class(spaces: list, names: dict, given_cls=None):
    """The value class and its API names; LoadError (with what was found) when there is none or several."""
    wanted = names.get("class")
    if given_cls is not None:
        classes = [given_cls]
    else:
        classes = _own_classes(spaces)
        if wanted:
            picked = [c for c in classes if c.__name__ == wanted]
            if not picked:
                listed = ", ".join(c.__name__ for c in classes) or "none"
                raise LoadError(f"there is no class {wanted} (classes defined: {listed})")
            classes = picked
    found = [(c, api) for c in classes if (api := _probe(c, names))]
    if not found:
        if given_cls is not None or wanted:
            cls = classes[0]
            raise LoadError(f"class {cls.__name__} does not look like a value class: {_why_not(cls, names)}")
        listed = ", ".join(c.__name__ for c in classes)
        raise LoadError("no value class found (a class whose objects hold data and grad and have a backward method)"
                        + (f" among {listed}" if listed else "") + "; name it with --class (and --data, --grad, --backward)")
    if len(found) > 1:
        values = [f for f in found if f[0].__name__ == "Value"]
        if len(values) != 1:
            raise LoadError(f"several classes look like a value class ({', '.join(c.__name__ for c, _ in found)}); "
                            "choose one with --class")
        found = values
    return found[0]


def _why_not(cls, names: dict) -> str:
    try:
        instance = cls(PROBE)
    except Exception as exc:
        return f"{cls.__name__}({PROBE}) raised {describe(exc)}"
    attrs = sorted(k for k in vars(instance) if not k.startswith("__"))
    for key, candidates in (("data", DATA_NAMES), ("grad", GRAD_NAMES)):
        wanted = PROBE if key == "data" else 0
        given = names.get(key)
        if not any(_number_is(getattr(instance, n, None), wanted) for n in ([given] if given else candidates)):
            what = f"its attribute {given}" if given else f"no attribute ({', '.join(candidates)})"
            return (f"after {cls.__name__}({PROBE}), {what} holds {'the number' if key == 'data' else 'a zero grad'}; "
                    f"its attributes are {', '.join(attrs) or 'none'}: say which with --{key}")
    given = names.get("backward")
    return f"it has no method {given or ' or '.join(BACKWARD_NAMES)}: say which with --backward"


def source_lines(func) -> list | None:
    """[[line number, text], ...] of a function, where Python can find its source."""
    try:
        func = inspect.unwrap(func)
        lines, start = inspect.getsourcelines(func)
        filename = shown_file(inspect.getsourcefile(func) or inspect.getfile(func))
    except (TypeError, OSError):
        return None
    return [filename] + [[start + i, text.rstrip()] for i, text in enumerate(lines)]


def engine_info(cls, api: dict, spaces: list, target: dict) -> dict:
    offered = [op for op in OPS if callable(getattr(cls, METHODS[op], None))]
    sources = {op: source_lines(getattr(cls, METHODS[op])) for op in offered}
    sources["backward"] = source_lines(getattr(cls, api["backward"]))
    nn = {}
    for name in ("Neuron", "Layer", "MLP"):
        nn[name] = any(isinstance(space.get(name), type) for space in spaces)
    where = target.get("path")
    return {"class": cls.__name__, "file": shown_file(where) if where else shown_file(inspect.getfile(cls)) if _has_file(cls) else None,
            **api, "offered": offered, "sources": sources, "nn": nn}


def _has_file(cls) -> bool:
    try:
        inspect.getfile(cls)
        return True
    except TypeError:
        return False


# ---------------------------------------------------------------- running checks


def _number(x) -> float:
    value = float(x)
    return value if math.isfinite(value) else repr(value)


def run_programs(cls, api: dict, programs: list) -> dict:
    result = {}
    for steps in programs:
        env = {}
        for name, op, args in steps:
            env[name] = apply(cls, env, op, args)
        getattr(env[steps[-1][0]], api["backward"])()
        result = {name: [_number(getattr(v, api["data"])), _number(getattr(v, api["grad"]))] for name, v in env.items()}
    return result


def _find(spaces: list, name: str):
    for space in spaces:
        obj = space.get(name)
        if isinstance(obj, type):
            return obj
    return None


def _values(api, values) -> list:
    return [[_number(getattr(v, api["data"])), _number(getattr(v, api["grad"]))] for v in values]


def _single(out):
    return out[0] if isinstance(out, (list, tuple)) and len(out) == 1 else out


def run_nn(spaces: list, api: dict, what: str, seed: int, x: list) -> dict:
    """Build the learner's Neuron, Layer or MLP (weights from their own random calls, seeded), run it forward
    and backward; return the parameters (data), the output(s) and every parameter's grad (and after zero_grad)."""
    random.seed(seed)
    if what == "neuron":
        model = _find(spaces, "Neuron")(len(x))
    elif what == "layer":
        model = _find(spaces, "Layer")(len(x), 2)
    else:
        model = _find(spaces, "MLP")(len(x), [4, 4, 1])
    params = list(model.parameters())
    before = [_number(getattr(p, api["data"])) for p in params]
    out = _single(model(x))
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    result = {"params": before, "outs": [_number(getattr(o, api["data"])) for o in outs]}
    if what != "layer":
        getattr(outs[0], api["backward"])()
        result["grads"] = [_number(getattr(p, api["grad"])) for p in params]
        if hasattr(model, "zero_grad"):
            model.zero_grad()
            result["zeroed"] = [_number(getattr(p, api["grad"])) for p in params]
    return result


def main(target: dict, jobs: list, reporter: Reporter, names: dict, seed: int) -> None:
    builtins.input = _no_input
    sys.dont_write_bytecode = True
    if target.get("path"):
        os.chdir(os.path.dirname(target["path"]))
    sys.addaudithook(_guard)
    try:
        spaces, notes = load(target)
        cls, api = find_class(spaces, names, target.get("cls"))
        info = engine_info(cls, api, spaces, target)
    except LoadError as exc:
        reporter.send({"event": "load-error", "message": str(exc)})
        return
    except BaseException as exc:  # the learner's code failed to load: SyntaxError, ImportError, sys.exit, ...
        if isinstance(exc, SyntaxError) and exc.lineno:
            text = f"SyntaxError: {exc.msg} ({shown_file(exc.filename or '')} line {exc.lineno}"
            text += f": {exc.text.strip()[:120]})" if exc.text else ")"
        else:
            text = describe(exc)
        reporter.send({"event": "load-error", "message": f"loading the code failed: {text}"})
        return
    reporter.send({"event": "loaded", "engine": info, "notes": notes})
    offered = set(info["offered"])
    for job in jobs:
        missing = [op for op in job.get("needs", []) if op not in offered]
        nn = job.get("nn")
        if nn and not _find(spaces, {"neuron": "Neuron", "layer": "Layer", "mlp": "MLP"}[nn]):
            missing = [nn]
        if missing:
            reporter.send({"event": "result", "id": job["id"], "missing": missing})
            continue
        reporter.send({"event": "start", "id": job["id"]})
        try:
            if nn:
                got = run_nn(spaces, api, nn, seed, job["x"])
            else:
                got = run_programs(cls, api, job["programs"])
            event = {"event": "result", "id": job["id"], "got": got}
        except BaseException as exc:  # every failure of the learner's code is this check's verdict
            event = {"event": "result", "id": job["id"], "error": describe(exc), "error_type": type(exc).__name__}
        reporter.send(event)
