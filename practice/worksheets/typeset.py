"""The PDFs: each group's sheets and keys typeset by Typst in child processes, joined onto the outputs in order."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from ..errors import Interrupted, UserError
from . import views as views_module
from .files import writing
from .templates import render_template

# The child's whole program: it needs only typst. A fresh interpreter per document gives typst's memory back
# when it ends, and (unlike fork) cannot inherit a lock some library thread holds.
_TYPESET_CHILD = """
import json, sys, typst
job = json.load(sys.stdin.buffer)
with open(job["inputs"], encoding="utf-8") as f:
    inputs = json.load(f)
try:
    pdf = typst.compile(job["source"].encode("utf-8"), format="pdf", sys_inputs=inputs,
                        ignore_system_fonts=True, timestamp=job["timestamp"])
except Exception as exc:
    message = getattr(exc, "message", None) or str(exc)
    sys.stderr.write(" ".join(str(message).split()))
    sys.exit(3)
try:
    with open(job["output"], "wb") as f:
        f.write(pdf)
except OSError as exc:
    sys.stderr.write(f"cannot write a temporary file {job['output']}: {exc.strerror or exc}")
    sys.exit(4)
"""


def timestamp() -> int | None:
    """SOURCE_DATE_EPOCH, when set, as the PDFs' date: the same inputs then give the same bytes."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return int(value) if value.isdigit() else None


class Children:
    """The typesetting children now running. stop() ends them, and no new one starts after it."""

    def __init__(self):
        import threading

        self.lock = threading.Lock()
        self.running: set[subprocess.Popen] = set()
        self.stopped = False

    def run(self, payload: bytes) -> tuple[int, bytes]:
        with self.lock:
            if self.stopped:
                return -signal.SIGTERM, b""
            proc = subprocess.Popen([sys.executable, "-c", _TYPESET_CHILD], stdin=subprocess.PIPE,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            self.running.add(proc)
        try:
            _, err = proc.communicate(payload)
        finally:
            with self.lock:
                self.running.discard(proc)
        return proc.returncode, err

    def stop(self) -> None:
        with self.lock:
            self.stopped = True
            for proc in self.running:
                proc.kill()


def typeset(children: Children, source: str, inputs: Path, output: Path) -> None:
    """One Typst document, typeset in a child process that reads its pictures from `inputs` (JSON: name -> SVG)
    and writes the PDF to `output`."""
    payload = json.dumps({"source": source, "inputs": str(inputs), "timestamp": timestamp(), "output": str(output)})
    status, err = children.run(payload.encode("utf-8"))
    if -status in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C reached the child before this process
        raise Interrupted(-status, "interrupted" if -status == signal.SIGINT else "terminated")
    message = err.decode("utf-8", "replace").strip()
    if status == 3:
        raise UserError(f"could not typeset the worksheet (a bug in its template): {message}")
    if status == 4:
        raise UserError(message)
    if status != 0:
        raise UserError(f"the typesetting process failed (status {status}): {(message.splitlines() or ['no message'])[-1]}")


def write_pdfs(spec, versions, total: int, paper: str, temps, shown, duplex: bool = True) -> tuple[int, int, float]:
    """Typeset the sheets and keys into temps[0] and temps[1]: (pages, key pages, smallest picture text in pt).

    A group of versions is typeset (both documents at once, each in a child process) while the next group is
    drawn and the one before is joined onto the outputs. At most two groups are under way at any time."""
    import tempfile
    from concurrent.futures import ThreadPoolExecutor

    from ..pdfjoin import Joiner

    smallest = float("inf")
    children = Children()
    with tempfile.TemporaryDirectory(prefix="backprop-practice-") as spill, ThreadPoolExecutor(2) as pool, \
            Joiner(temps[0]) as sheets, Joiner(temps[1]) as keys:
        waiting = []  # groups under way: (their pictures file, [(job, its part, the output it joins, its name)])

        def join_oldest_group():
            pictures, jobs = waiting.pop(0)
            for job, part, joiner, name in jobs:
                job.result()
                with writing(name):
                    joiner.add(part)
                part.unlink()
            pictures.unlink()

        try:
            for n, (context, inputs) in enumerate(views_module.groups(spec, versions, total, paper, duplex)):
                smallest = min(smallest, views_module.smallest_font(context))
                pictures = Path(spill) / f"pictures-{n:03d}.json"  # the children read them: none held here
                pictures.write_text(json.dumps(inputs), encoding="utf-8")
                jobs = []
                for template, joiner, name in (("sheet.typ.j2", sheets, shown[0]), ("key.typ.j2", keys, shown[1])):
                    part = Path(spill) / f"{template.split('.')[0]}-{n:03d}.pdf"
                    job = pool.submit(typeset, children, render_template(template, context), pictures, part)
                    jobs.append((job, part, joiner, name))
                waiting.append((pictures, jobs))
                del context, inputs
                if len(waiting) > 1:  # the group before this one is joined while this one is typeset
                    join_oldest_group()
            while waiting:
                join_oldest_group()
        except BaseException:
            children.stop()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        with writing(shown[0]):
            pages = sheets.close()
        with writing(shown[1]):
            key_pages = keys.close()
    return pages, key_pages, smallest
