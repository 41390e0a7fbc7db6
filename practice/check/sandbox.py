"""Run untrusted code safely: a forked child with memory, CPU and file-size limits, stdin closed and
stdout/stderr captured (with a cap), watched by a wall clock in the parent.

The child (child.py) sends one JSON line per event on a pipe of its own: `loaded`, `start` before each
check, `result` after it. A check that does not finish in time, a process that dies (os._exit, a crash,
the memory or CPU limit) or a flood of output ends the child; the check it was on gets that verdict and a
fresh child takes the remaining checks. Loading that fails ends everything with one verdict.
"""

import json
import os
import resource
import selectors
import signal
import sys
import threading
import time
from dataclasses import dataclass, field

MB = 1 << 20
STACK = 256 * MB          # the checks' thread: deep recursion (micrograd's topological sort) is no false alarm
RECURSION = 30_000
MAX_STARTS = 4            # children started for one engine: each hang or crash costs one


@dataclass
class Limits:
    timeout: float = 10.0          # wall-clock seconds to load the code, and for each check
    memory: int = 512 * MB         # bytes the child may add to what it starts with
    cpu: int = 60                  # CPU seconds per child
    output: int = 1 * MB           # bytes the code may print before it is stopped
    kept: int = 4000               # characters of that output kept for the report


@dataclass
class Outcome:
    engine: dict | None = None
    load_error: str | None = None
    notes: list = field(default_factory=list)
    results: dict = field(default_factory=dict)   # check id -> {"got": ...} | {"error": ...} | {"missing": [...]}
    output: str = ""


def _virtual_memory() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def _child(target, jobs, names, seed, limits: Limits, result_w: int, out_w: int) -> None:
    """In the forked child: limits, quiet standard streams, then child.main in a thread with a deep stack."""
    code = 0
    try:
        os.setsid()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writing a file fails with an error instead
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out_w, 1)
        os.dup2(out_w, 2)
        start = _virtual_memory()
        if start:  # where the process's size can't be read (no /proc), the memory limit is left out
            address = start + STACK + limits.memory
            resource.setrlimit(resource.RLIMIT_AS, (address, address))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu, limits.cpu + 5))
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # nothing is written but the report (by the parent)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        sys.stdin = open(os.devnull)
        sys.stdout = open(1, "w", buffering=1, closefd=False, errors="replace")
        sys.stderr = open(2, "w", buffering=1, closefd=False, errors="replace")
        sys.setrecursionlimit(RECURSION)
        threading.stack_size(STACK)
        from . import child

        reporter = child.Reporter(result_w)
        thread = threading.Thread(target=child.main, args=(target, jobs, reporter, names, seed), daemon=True)
        thread.start()
        thread.join()
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        code = 70
    finally:
        os._exit(code)


def _ended(status: int) -> str:
    """How a child ended, in words."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            return "it used up its CPU time (an endless loop?)"
        if sig == signal.SIGKILL:
            return "it was killed (out of memory?)"
        return f"it crashed ({signal.Signals(sig).name})"
    code = os.WEXITSTATUS(status)
    return f"the code ended the process (exit status {code}; os._exit?)"


class _Run:
    """One child: started, watched, ended."""

    def __init__(self, target, jobs, names, seed, limits: Limits):
        self.limits = limits
        result_r, result_w = os.pipe()
        out_r, out_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        self.pid = os.fork()
        if self.pid == 0:
            os.close(result_r)
            os.close(out_r)
            _child(target, jobs, names, seed, limits, result_w, out_w)
        os.close(result_w)
        os.close(out_w)
        self.result_r, self.out_r = result_r, out_r
        self.buffer = b""
        self.printed = 0
        self.kept = b""
        self.status = None

    def events(self):
        """Yield each event, then ("timeout",), ("flood",) or ("exit", status); the caller sets `deadline`."""
        selector = selectors.DefaultSelector()
        selector.register(self.result_r, selectors.EVENT_READ)
        selector.register(self.out_r, selectors.EVENT_READ)
        open_fds = 2
        try:
            while open_fds:
                left = self.deadline - time.monotonic()
                if left <= 0:
                    yield ("timeout",)
                    return
                for key, _ in selector.select(left):
                    chunk = os.read(key.fd, 1 << 16)
                    if not chunk:
                        selector.unregister(key.fd)
                        open_fds -= 1
                        continue
                    if key.fd == self.out_r:
                        self.printed += len(chunk)
                        if len(self.kept) < self.limits.kept:
                            self.kept += chunk[: self.limits.kept - len(self.kept)]
                        if self.printed > self.limits.output:
                            yield ("flood",)
                            return
                        continue
                    self.buffer += chunk
                    while b"\n" in self.buffer:
                        line, self.buffer = self.buffer.split(b"\n", 1)
                        try:
                            yield ("event", json.loads(line))
                        except ValueError:
                            continue  # not ours (the learner's code wrote on our pipe): ignored
            yield ("exit", self.wait())
        finally:
            selector.close()

    def wait(self) -> int:
        if self.status is None:
            _, self.status = os.waitpid(self.pid, 0)
        return self.status

    def kill(self) -> None:
        if self.status is None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.wait()

    def close(self) -> None:
        self.kill()
        for fd in (self.result_r, self.out_r):
            try:
                os.close(fd)
            except OSError:
                pass


def _skip_alike(stopped, jobs: list, results: dict, verdict: str) -> None:
    """The checks still to run that use every op the stopped check used would stop the same way: each is
    given that verdict instead of a fresh child (a loop in __mul__ costs one time limit, not one per check)."""
    hung = next(j for j in jobs if j["id"] == stopped)
    ops = set(hung.get("needs") or [])
    if not ops:
        return
    for job in jobs:
        if job["id"] not in results and ops <= set(job.get("needs") or []):
            results[job["id"]] = {"id": job["id"], "error": f"not run: a check with the same ops {verdict}",
                                  "error_type": "not run"}


def run(target: dict, jobs: list, names: dict, seed: int, limits: Limits) -> Outcome:
    """Every job run on the learner's code, each within the limits."""
    outcome = Outcome()
    remaining = list(jobs)
    starts = 0
    kept = b""
    while remaining and starts < MAX_STARTS and outcome.load_error is None:
        starts += 1
        proc = _Run(target, remaining, names, seed, limits)
        current = None
        proc.deadline = time.monotonic() + limits.timeout
        try:
            for item in proc.events():
                if item[0] == "event":
                    event = item[1]
                    kind = event.get("event")
                    if kind == "loaded":
                        outcome.engine = outcome.engine or event["engine"]
                        outcome.notes = outcome.notes or event.get("notes", [])
                    elif kind == "load-error":
                        outcome.load_error = event["message"]
                    elif kind == "start":
                        current = event["id"]
                    elif kind == "result":
                        outcome.results[event["id"]] = event
                        current = None
                    proc.deadline = time.monotonic() + limits.timeout
                    continue
                if item[0] == "timeout":
                    verdict = f"did not finish within {limits.timeout:g} s (an endless loop?)"
                elif item[0] == "flood":
                    verdict = f"printed more than {limits.output // MB} MB (a print in a loop?)"
                else:
                    verdict = _ended(item[1])
                proc.kill()
                if outcome.engine is None and outcome.load_error is None:
                    outcome.load_error = f"loading the code {verdict}" if item[0] != "exit" else \
                        f"loading the code failed: {verdict}"
                elif current is not None:
                    outcome.results[current] = {"id": current, "error": f"the check {verdict}", "error_type": item[0]}
                    _skip_alike(current, remaining, outcome.results, verdict)
                break
        finally:
            proc.close()
            if len(kept) < limits.kept:
                kept += proc.kept[: limits.kept - len(kept)]
        remaining = [j for j in remaining if j["id"] not in outcome.results]
    for job in remaining:
        outcome.results.setdefault(job["id"], {"id": job["id"], "error": "not run: the engine stopped too often",
                                               "error_type": "not run"})
    outcome.output = kept.decode("utf-8", errors="replace")
    return outcome
