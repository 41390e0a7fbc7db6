"""Running Graphviz `dot`: the processes (one per core), the batches they draw, the pictures cut out of their
output, and the errors they give, named per picture. draw.py makes the DOT text and the files; this runs it."""

import functools
import math
import os
import re
import shutil
import struct
import subprocess
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

from .dotstream import Stream
from .errors import UserError
from .labels import FONT, PNG_DPI, SVG_FONT_FAMILY

FORMATS = ("svg", "png")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_JOBS = 8
BATCH_MAX = 200  # graphs per dot process: dot's and our memory stay bounded, and the cores stay evenly loaded
STREAM_MOST = 1000  # graphs a dot kept running draws before a new one takes over: dot 2.43 grows ~11 kB a graph
DOT_TIMEOUT_S = 300


def require_dot() -> str:
    """The path of Graphviz `dot`; a one-line UserError telling how to install it when it is missing."""
    path = shutil.which("dot")
    if path is None:
        from .install_hint import graphviz_hint

        raise UserError(graphviz_hint())
    return path


def _jobs(n: int) -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_JOBS, n))


def _dot_args(dot: str, fmt: str) -> list[str]:
    args = [dot, f"-T{fmt}"]
    if fmt == "png":
        args.append(f"-Gdpi={PNG_DPI}")
    return args


_DOT_FONT = f'font-family="{FONT}"'.encode()
_SVG_FONT = f'font-family="{SVG_FONT_FAMILY}"'.encode()  # metric twins as fallbacks, then any sans-serif
_PAGE_GRAPH_ID = re.compile(rb'<g id="page\d+,\d+_graph0" class="graph"')


def _fix_svg(doc: bytes) -> bytes:
    """One graph's SVG as dot writes it alone: dot names the 2nd+ graph's group of a run "page0,1_graph0"; and the
    font named with its fallbacks (dot names only the one it measured with)."""
    doc = _PAGE_GRAPH_ID.sub(b'<g id="graph0" class="graph"', doc, count=1)
    return doc.replace(_DOT_FONT, _SVG_FONT)


def _split_svg(out: bytes) -> list[bytes]:
    """One standalone SVG document per graph. dot repeats the XML prolog for every graph but names the
    2nd+ graph's group "page0,1_graph0": set it back to "graph0" so a batch equals one-at-a-time. The font
    is named with its fallbacks (dot names only the one it measured with)."""
    docs, start = [], 0
    end_tag = b"</svg>"
    while True:
        i = out.find(end_tag, start)
        if i < 0:
            break
        end = i + len(end_tag)
        if out[end : end + 1] == b"\n":
            end += 1
        docs.append(_fix_svg(out[start:end]))
        start = end
    if out[start:].strip():
        docs.append(out[start:])  # trailing junk: makes the count wrong, so the batch is redone
    return docs


def _split_png(out: bytes) -> list[bytes]:
    """One PNG per graph, each cut after its IEND chunk and that chunk's CRC, walking the chunks."""
    docs, pos = [], 0
    while pos < len(out):
        if out[pos : pos + 8] != PNG_SIGNATURE:
            return docs + [out[pos:]]
        p = pos + 8
        while True:
            if p + 12 > len(out):
                return docs + [out[pos:]]
            (length,) = struct.unpack(">I", out[p : p + 4])
            kind = out[p + 4 : p + 8]
            p += 12 + length
            if kind == b"IEND":
                break
        docs.append(out[pos:p])
        pos = p
    return docs


def _run_dot(args: list[str], text: str) -> tuple[int, bytes, str]:
    try:
        proc = subprocess.run(args, input=text.encode("utf-8"), capture_output=True, timeout=DOT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return -1, b"", f"dot took longer than {DOT_TIMEOUT_S} s"
    message = proc.stderr.decode("utf-8", "replace").strip()
    return proc.returncode, proc.stdout, message


def _split(out: bytes, fmt: str) -> list[bytes]:
    return _split_svg(out) if fmt == "svg" else _split_png(out)


def _render_batch(args, fmt, sources) -> list[tuple[bytes | None, str]]:
    """Pictures of `sources` from one dot process; if that fails, one process each, keeping each one's error."""
    code, out, _ = _run_dot(args, "\n".join(sources) + "\n")
    if code == 0:
        docs = _split(out, fmt)
        if len(docs) == len(sources):
            return [(doc, "") for doc in docs]
    results = []
    for source in sources:
        code, out, message = _run_dot(args, source)
        docs = _split(out, fmt) if code == 0 else []
        if len(docs) == 1:
            results.append((docs[0], ""))
        elif code == 0:
            results.append((None, f"dot made {len(docs)} pictures from it, not 1"))
        else:
            lines = message.splitlines() or [f"dot exited with status {code}"]
            results.append((None, next((x for x in lines if "rror" in x), lines[0])))
    return results


def _batches(sources: list[str], size: int) -> list[list[str]]:
    """The sources in order, cut into runs of at most `size` for one dot process each."""
    return [sources[i : i + size] for i in range(0, len(sources), size)]


class RenderError(UserError):
    """Some pictures could not be drawn. `results` holds every picture in order, None where one failed;
    `failures` lists (index, name, dot's message)."""

    def __init__(self, message: str, results: list, failures: list):
        super().__init__(message)
        self.results = results
        self.failures = failures


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise UserError(f"unknown picture format {fmt!r}; choose svg or png")


class _Job(NamedTuple):
    futures: list  # one per batch, each a list of (picture or None, dot's message)
    count: int
    names: list[str] | None


class _Dot:
    """dot, one process per core: submit() hands it sources and returns at once, so that Python builds the next
    pictures' text while dot lays out these; result() waits for them. In SVG the processes are kept running for
    every submit (dotstream.py); in PNG (whose pictures cannot be told apart in a stream) each batch is a dot
    process of its own, run by a thread."""

    def __init__(self, fmt: str, jobs: int):
        _check_format(fmt)
        self.fmt, self.jobs = fmt, jobs
        self.args = _dot_args(require_dot(), fmt)
        self.streams, self.retired, self.pool = [], [], None
        if fmt == "svg" and os.name == "posix":  # waiting on a pipe with a timeout (selectors)
            self.streams = [self._stream() for _ in range(jobs)]
        else:
            self.pool = ThreadPoolExecutor(max_workers=jobs)

    def _stream(self) -> Stream:
        return Stream(self.args, _fix_svg, functools.partial(_render_batch, self.args, self.fmt), DOT_TIMEOUT_S)

    def _send(self, batch: list[str]):
        """The batch to the dot process with the least left to draw; a process that stopped (on a broken source),
        or that has drawn STREAM_MOST graphs, gives way to a new one."""
        k = min(range(len(self.streams)), key=lambda i: self.streams[i].queued)
        future = self.streams[k].send(batch)
        if future is None or self.streams[k].sent >= STREAM_MOST:
            self.streams[k].retire()
            self.retired.append(self.streams[k])
            self.streams[k] = self._stream()
        return future if future is not None else self.streams[k].send(batch)

    def submit(self, sources: list[str], names: list[str] | None = None) -> _Job:
        if names is not None and len(names) != len(sources):
            raise ValueError("names must match sources one to one")
        size = min(BATCH_MAX, math.ceil(len(sources) / self.jobs)) or 1
        if self.streams:
            futures = [self._send(batch) for batch in _batches(sources, size)]
        else:
            futures = [self.pool.submit(_render_batch, self.args, self.fmt, batch) for batch in _batches(sources, size)]
        return _Job(futures, len(sources), names)

    def result(self, job: _Job) -> list[bytes]:
        """The job's pictures in order; RenderError naming the first that dot could not draw."""
        parts = [f.result() for f in job.futures]
        results = [doc for part in parts for doc, _ in part]
        failures = [
            (i, job.names[i] if job.names else f"picture {i + 1} of {job.count}", message)
            for i, (doc, message) in enumerate(r for part in parts for r in part)
            if doc is None
        ]
        if failures:
            _, name, message = failures[0]
            more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
            raise RenderError(f"could not draw {name}{more}: {message}", results, failures)
        return results

    def close(self) -> None:
        """Stop the processes (at once, should some pictures be still unasked for: the caller left early)."""
        for stream in self.retired + self.streams:
            stream.close(kill=stream.queued > 0)
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def render(sources: list[str], fmt: str = "svg", names: list[str] | None = None) -> list[bytes]:
    """Render DOT sources with Graphviz `dot`, many graphs per process, a few processes in parallel.

    Returns one SVG document or PNG image per source, in order; the same sources give the same bytes.
    A source dot cannot draw raises RenderError (a UserError) naming it; the others are still drawn and
    are in the error's `results`. `names` (one per source) are used in that message.
    """
    _check_format(fmt)
    sources = list(sources)
    if names is not None and len(names) != len(sources):
        raise ValueError("names must match sources one to one")
    if not sources:
        return []
    dot = _Dot(fmt, _jobs(len(sources)))
    try:
        return dot.result(dot.submit(sources, names))
    finally:
        dot.close()
