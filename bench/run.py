#!/usr/bin/env python3
"""Benchmarks: Backprop Practice against the naive route and against the Graphviz floor.

    python bench/run.py            # the full run (a few minutes); the table the README records
    python bench/run.py --quick    # small sizes, one repeat: a smoke check (under a minute)
    python bench/run.py --only 2,5 # some items only
    python bench/run.py --json     # the figures as JSON instead of the table

Each item runs in its own Python process (`--item N --json`), so its peak memory (the process's peak RSS)
is its own; dot's is measured apart (item 2), since a child's ru_maxrss counts the parent's pages it held
before exec. Times are medians of --repeats runs; the slow naive routes and the fast routes are
interleaved repeat by repeat so that load from elsewhere hits both alike.

  1  problems generated per second, per kind and difficulty, and for the lesson deck's mix
  2  pictures: practice.draw.render vs one graphviz.Source(...).pipe() per picture (what micrograd's
     draw_dot does) vs the floor: plain `dot -Tsvg` fed the same DOT text in the same number of parallel
     batches, output discarded
  3  a 1,000-problem deck end to end (generate, draw, package) vs the same with one dot per picture
  4  a class set of 30 worksheet versions with answer keys (PDF)
  5  the engine's backward pass on 100,000-node graphs vs PyPI micrograd on the largest it survives
  6  peak memory of each item (a column of the table), and of decks and class sets at two sizes each:
     memory should stay flat as counts grow
  7  what users feel: the wall time of a whole deck (400 problems: 200 expression medium + 200 neuron hard,
     SVG, seed 0), of a class set of 30 worksheets and of the practice page, each against its layout floor
     (plain `dot -Tsvg` on the distinct graphs of the pictures the build draws, each problem's question and
     whole-pass answer, in the renderer's parallel batches: every distinct graph laid out once, as the issue
     measured it, whether the build laid out both or wrote the answer from the question's layout; the note
     says how many dot laid out), measured side by side, repeat by repeat

No timing is asserted: the script exits 0 when a target is missed (the table says MISS), and non-zero
only when an item crashes.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gc
import inspect
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

try:
    import resource
except ImportError:  # not on Windows: no peak memory there
    resource = None

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # benchmark this checkout, installed or not

# Sizes of the full run and of --quick.
SIZES = {
    "full": {
        "repeats": 3,
        "gen_count": 200,  # problems per kind and difficulty (item 1)
        "deck": 1000,  # problems in the deck (items 2 and 3); 2 pictures each
        "naive_sample": 300,  # pictures drawn one process each in item 2 (a spread-out sample of item 2's)
        "versions": 30,  # worksheet versions (item 4)
        "nodes": 100_000,  # engine graph size (item 5)
        "mem_decks": (250, 1000),  # deck sizes whose peak memory is compared (item 6)
        "mem_sheets": (30, 120),  # and class-set sizes
        "felt_deck": 200,  # problems per kind in the deck of item 7 (expression medium + neuron hard)
        "felt_versions": 30,  # worksheet versions in item 7's class set
        "felt_repeats": 5,  # item 7 repeats (best, median and spread are shown)
    },
    "quick": {
        "repeats": 1,
        "gen_count": 5,
        "deck": 60,
        "naive_sample": 20,
        "versions": 4,
        "nodes": 10_000,
        "mem_decks": (30, 120),
        "mem_sheets": (2, 4),
        "felt_deck": 20,
        "felt_versions": 4,
        "felt_repeats": 1,
    },
}

TARGETS = {
    "floor": 1.3,  # ours / dot floor, at most
    "vs_naive_pictures": 10.0,  # naive / ours, at least
    "vs_naive_deck": 5.0,  # naive / ours, at least
    "engine": 1.0,  # ours / micrograd per node, at most
    "class_set_s": 5.0,  # "within a few seconds on two cores"
    "memory_growth": 1.5,  # peak RSS at the larger count / at the smaller, at most ("flat")
    "felt_floor": 1.5,  # a whole deck's wall time / the layout floor of its distinct graphs, at most
}

TIMESTAMP = 1_700_000_000.0  # a fixed note time: the same deck bytes every repeat


# ---------------------------------------------------------------- helpers


def median(xs):
    return statistics.median(xs)


def timed(fn, *args, **kwargs):
    """(seconds, result) of one call, after collecting garbage so that earlier repeats' cycles are not billed."""
    gc.collect()
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


@contextmanager
def patched(obj, name, value):
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


@contextmanager
def stage_clock(obj, name, key, clock):
    """Wrap obj.name so the time spent in it adds to clock[key] (obj.name is looked up at call time). A generator
    function is clocked while it makes each item (not while its caller works on one)."""
    if not hasattr(obj, name):
        yield
        return
    inner = getattr(obj, name)

    def add(start):
        clock[key] = clock.get(key, 0.0) + time.perf_counter() - start

    def items(gen):
        while True:
            start = time.perf_counter()
            try:
                item = next(gen)
            except StopIteration:
                add(start)
                return
            add(start)
            yield item

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            result = inner(*args, **kwargs)
        finally:
            add(start)
        return items(result) if inspect.isgenerator(result) else result

    with patched(obj, name, wrapper):
        yield


def peak_mb() -> float | None:
    """Peak RSS of this process, in MB."""
    if resource is None:
        return None
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e6, 1)


def in_child(fn, *args):
    """Run fn(*args) in a forked child (Linux, macOS): (its JSON-able result, the child's peak RSS in MB).

    Used where a library keeps memory from one call to the next (typst's caches), so that every repeat
    starts clean and its peak is its own. Without fork, runs in this process (the peak is then None)."""
    if not hasattr(os, "fork"):
        return fn(*args), None
    scale = 1 if sys.platform == "darwin" else 1024
    rfd, wfd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(rfd)
        try:
            data = json.dumps({"ok": fn(*args)})
        except BaseException:
            data = json.dumps({"error": traceback.format_exc()})
        with os.fdopen(wfd, "w") as f:
            f.write(data)
        os._exit(0)
    os.close(wfd)
    with os.fdopen(rfd) as f:
        data = f.read()
    _, status, usage = os.wait4(pid, 0)
    if not data:
        raise RuntimeError(f"benchmark child died (wait status {status})")
    out = json.loads(data)
    if "error" in out:
        raise RuntimeError("in a benchmark child:\n" + out["error"])
    return out["ok"], usage.ru_maxrss * scale / 1e6


def dot_peak_mb(sources: list[str], fmt: str = "svg") -> float | None:
    """Peak RSS of one dot process fed these sources, from /proc (VmHWM, sampled until it exits).

    getrusage cannot tell: a child's ru_maxrss counts the parent's pages it held before exec."""
    status = Path("/proc/self/status")
    if not status.exists():
        return None
    data = ("\n".join(sources) + "\n").encode()
    proc = subprocess.Popen([shutil.which("dot"), f"-T{fmt}"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    peak = 0
    done = False

    def sample():
        nonlocal peak
        path = Path(f"/proc/{proc.pid}/status")
        while not done:
            try:
                for line in path.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
            except OSError:
                return
            time.sleep(0.001)

    with ThreadPoolExecutor(max_workers=1) as pool:
        watcher = pool.submit(sample)
        proc.stdin.write(data)
        proc.stdin.close()
        # keep sampling while dot works; it exits when the input ends
        while proc.poll() is None:
            time.sleep(0.002)
        done = True
        watcher.result()
    return peak / 1024 if peak else None


def row(item, measure, figure, ratio="", target="", result="", note=""):
    return {"item": str(item), "measure": measure, "figure": figure, "ratio": ratio, "target": target,
            "result": result, "note": note}


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def ms(seconds: float) -> str:
    x = seconds * 1000
    return f"{x:.2f} ms" if x < 10 else f"{x:.1f} ms" if x < 100 else f"{x:,.0f} ms"


def mb(x) -> str:
    return "?" if x is None else f"{x:.0f} MB"


def secs(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"


def times(x: float) -> str:
    return f"{x:.2f}x" if x < 10 else f"{x:.1f}x"


def deck_spec(total: int):
    """The bundled micrograd spec's mix scaled so that it holds `total` problems (rounding fixed on the largest)."""
    from practice.spec import choose

    spec = choose("micrograd")
    spec.sections["deck"] = {**(spec.sections.get("deck") or {}), "variants": 1}  # `total` problems, a note each
    base = spec.total
    for e in spec.entries:
        e["count"] = max(1, round(e["count"] * total / base))
    biggest = max(spec.entries, key=lambda e: e["count"])
    biggest["count"] += total - spec.total
    assert spec.total == total, (spec.total, total)
    return spec


# ---------------------------------------------------------------- rendering routes


def batching(n: int) -> tuple[int, int]:
    """(parallel dot processes, graphs per batch) that practice.draw.render uses for n pictures."""
    from practice import draw

    jobs = draw._jobs(n) if hasattr(draw, "_jobs") else max(1, min(os.cpu_count() or 1, 8, n))
    size = math.ceil(n / jobs)
    try:
        from practice import dotrun as runner  # (where dot is run since 2 December; draw.py before)
    except ImportError:
        runner = draw
    most = getattr(runner, "BATCH_MAX", None)  # should render cap its batches, the floor does the same
    return jobs, min(size, most) if most else size


def dot_floor(sources: list[str], fmt: str = "svg", jobs: int | None = None, size: int | None = None) -> None:
    """Plain dot fed the sources in the renderer's batches and parallelism (or `jobs` processes of `size`
    graphs); the output is thrown away."""
    dot = shutil.which("dot")
    if jobs is None or size is None:
        jobs, size = batching(len(sources))
    batches = [("\n".join(sources[i : i + size]) + "\n").encode() for i in range(0, len(sources), size)]

    def run(data: bytes):
        proc = subprocess.run([dot, f"-T{fmt}"], input=data, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if proc.returncode:
            raise RuntimeError(f"dot failed: {proc.stderr.decode(errors='replace')[:200]}")

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(run, batches))


def naive_render(sources, fmt="svg", names=None):
    """What micrograd's draw_dot leads to: a graphviz.Source per picture, piped through its own dot process."""
    import graphviz

    return [graphviz.Source(src).pipe(format=fmt) for src in sources]


def naive_iter_card_pictures(chunks, fmt="svg", each=None, total=None):
    """draw.iter_card_pictures the naive way: every picture from its own DOT text (one layout each, as before
    the pictures of a problem shared one), each through its own dot process."""
    from practice import draw

    for chunk in chunks:
        out = []
        for problem in chunk:
            own = list(each(problem)) if each else [a["name"] for a in problem["answers"]]
            texts = [draw.dot_source(problem, False), draw.dot_source(problem, True)]
            texts += [draw.dot_source(problem, True, [name]) for name in own]
            pics = [draw.Picture(draw.picture_name(d, fmt), d, fmt) for d in naive_render(texts, fmt)]
            out.append(draw.CardPictures(pics[0], pics[1], dict(zip(own, pics[2:]))))
        yield chunk, out


# ---------------------------------------------------------------- item 1: generation


def item_generate(size: dict) -> list[dict]:
    from practice.generate import problem_set
    from practice.kinds import DIFFICULTIES, KINDS

    reps, count = size["repeats"], size["gen_count"]
    rows = []
    for kind in KINDS:
        rates = []
        for difficulty in DIFFICULTIES:
            entry = [{"kind": kind, "difficulty": difficulty, "count": count, "index": 0}]
            t = median([timed(problem_set, entry, 7)[0] for _ in range(reps)])
            rates.append(f"{count / t:,.0f}")
        rows.append(row(1, f"generate {kind}: {' / '.join(DIFFICULTIES)}", " / ".join(rates) + " /s",
                        note=f"{count} problems each"))
    spec = deck_spec(size["deck"])
    t = median([timed(problem_set, spec.entries, spec.seed)[0] for _ in range(reps)])
    rows.append(row(1, "generate the micrograd mix", f"{spec.total / t:,.0f} /s", note=f"{spec.total} problems"))
    return rows


# ---------------------------------------------------------------- item 2: pictures


def item_pictures(size: dict) -> list[dict]:
    from practice import draw
    from practice.generate import problem_set

    reps = size["repeats"]
    spec = deck_spec(size["deck"])
    problems = problem_set(spec.entries, spec.seed)
    t_text, sources = timed(lambda: [draw.dot_source(p, a) for p in problems for a in (False, True)])
    n = len(sources)
    step = max(1, n // size["naive_sample"])
    sample = sources[::step][: size["naive_sample"]]

    jobs, batch = batching(n)
    ours, floor, naive, serial = [], [], [], []
    draw.render(sources[:4])  # warm up: imports, dot's font cache
    for _ in range(reps):  # interleaved, so that load from elsewhere hits every route alike
        floor.append(timed(dot_floor, sources)[0] / n)
        ours.append(timed(draw.render, sources, "svg")[0] / n)
        naive.append(timed(naive_render, sample)[0] / len(sample))
        serial.append(timed(dot_floor, sources, "svg", 1, n)[0] / n)
    ours, floor, naive, serial = median(ours), median(floor), median(naive), median(serial)
    return [
        row(2, f"dot floor: plain dot, {jobs} in parallel", f"{ms(floor)}/pic",
            note=f"{n} pictures (SVG), {math.ceil(n / batch)} batches"),
        row(2, f"ours: draw.render, {jobs} in parallel", f"{ms(ours)}/pic", f"{times(ours / floor)} floor",
            f"<= {TARGETS['floor']}x", verdict(ours / floor <= TARGETS["floor"])),
        row(2, "naive: graphviz.Source.pipe per picture", f"{ms(naive)}/pic", f"{times(naive / ours)} ours",
            f">= {TARGETS['vs_naive_pictures']:.0f}x", verdict(naive / ours >= TARGETS["vs_naive_pictures"]),
            f"sample of {len(sample)}"),
        row(2, f"layout alone: 1 dot, all graphs, / {jobs} cores", f"{ms(serial / jobs)}/pic",
            f"{times(ours / (serial / jobs))} ideal", note=f"{ms(serial)}/pic on one core; ideal parallel floor"),
        row(2, "DOT text: draw.dot_source", f"{ms(t_text / n)}/pic", note="Python, before render"),
        row(2, "dot: peak RSS of one process", mb(dot_peak_mb(sources[:batch])),
            note=f"a batch of {batch} graphs, as render's"),
    ]


# ---------------------------------------------------------------- item 3: the deck


def build_deck_timed(spec, out: Path, naive: bool) -> dict:
    """One build_deck run; seconds per stage, clocked at what any way of building a deck must call:
    generate = generate.make_problem, draw = draw.iter_card_pictures (or card_pictures) less the generating it
    waits for, package = the rest (write = deck.write_package)."""
    from practice import draw, generate
    from practice.anki import deck

    clock: dict[str, float] = {}
    drawing = "iter_card_pictures" if hasattr(draw, "iter_card_pictures") else "card_pictures"
    if not naive:
        route = contextlib.nullcontext()
    elif drawing == "iter_card_pictures":
        route = patched(draw, "iter_card_pictures", naive_iter_card_pictures)
    else:
        route = patched(draw, "render", naive_render)
    with route, stage_clock(generate, "make_problem", "generate", clock), stage_clock(draw, drawing, "draw", clock), \
            stage_clock(deck, "write_package", "write", clock):
        total, _ = timed(deck.build_deck, spec, out, "svg", timestamp=TIMESTAMP)
    clock["total"] = total
    if drawing == "iter_card_pictures":  # the pipeline pulls the problems: generating is inside its clock
        clock["draw"] = clock.get("draw", 0.0) - clock.get("generate", 0.0)
    clock["package"] = total - clock.get("generate", 0.0) - clock.get("draw", 0.0)
    if "write" in clock:
        clock["notes"] = clock["package"] - clock["write"]
    return clock


def item_deck(size: dict) -> list[dict]:
    reps = size["repeats"]
    spec = deck_spec(size["deck"])
    runs = {"ours": [], "naive": []}
    with tempfile.TemporaryDirectory(prefix="bench-deck-") as tmp:
        out = Path(tmp) / "bench.apkg"
        build_deck_timed(spec, out, naive=False)  # warm up: imports, templates, dot's font cache
        for _ in range(reps):
            runs["ours"].append(build_deck_timed(spec, out, naive=False))
            runs["naive"].append(build_deck_timed(spec, out, naive=True))
        deck_bytes = out.stat().st_size
    med = {route: {k: median([r.get(k, 0.0) for r in rs]) for k in rs[0]} for route, rs in runs.items()}
    ours, naive = med["ours"], med["naive"]

    def split(m):
        parts = f"generate {secs(m.get('generate', 0.0))}, draw {secs(m.get('draw', 0.0))}, package {secs(m['package'])}"
        if "write" in m:
            parts += f" (notes {secs(m['notes'])}, write {secs(m['write'])})"
        return parts

    ratio = naive["total"] / ours["total"]
    return [
        row(3, f"deck of {spec.total:,}: ours", secs(ours["total"]), note=split(ours)),
        row(3, f"deck of {spec.total:,}: naive, 1 dot per picture", secs(naive["total"]), f"{times(ratio)} ours",
            f">= {TARGETS['vs_naive_deck']:.0f}x", verdict(ratio >= TARGETS["vs_naive_deck"]), split(naive)),
        row(3, "deck throughput (ours)", f"{spec.total / ours['total']:,.0f} problems/s",
            note=f".apkg {deck_bytes / 1e6:.1f} MB"),
    ]


# ---------------------------------------------------------------- item 4: worksheets


def worksheets_once(versions: int) -> dict:
    """One build_worksheets run (in a child of its own): seconds per stage, and the page counts.

    Typesetting runs in child processes beside the main process's drawing and joining; "typeset" is the time
    the main process spent on neither, waiting for typst (plus the templates and the manifest)."""
    from practice import draw, generate, pdfjoin, worksheet
    from practice.spec import choose

    spec = choose("worksheet")
    clock: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-ws-") as tmp:
        out, key = Path(tmp) / "sheets.pdf", Path(tmp) / "keys.pdf"
        with stage_clock(generate, "make_problem", "generate", clock), \
                stage_clock(draw, "pictures", "draw", clock), \
                stage_clock(pdfjoin.Joiner, "add", "join", clock):
            total, summary = timed(worksheet.build_worksheets, spec, versions, out=out, key=key)
    clock["total"] = total
    clock["typeset"] = total - sum(clock.get(k, 0.0) for k in ("generate", "draw", "join"))
    clock["pages"] = getattr(summary, "pages", None)
    clock["key_pages"] = getattr(summary, "key_pages", None)
    return clock


def item_worksheets(size: dict) -> tuple[list[dict], dict]:
    import practice.worksheet  # noqa: F401  (imports, and typst, before the children fork)

    versions = size["versions"]
    runs, peaks = [], []
    for _ in range(size["repeats"]):
        # typst keeps its caches from one compile to the next in a process (~10 MB a version):
        # each repeat in a fresh child, so that it starts clean and its peak is its own
        clock, peak = in_child(worksheets_once, versions)
        runs.append(clock)
        peaks.append(peak)
    med = {k: median([r.get(k) or 0.0 for r in runs]) for k in ("total", "generate", "draw", "join", "typeset")}
    first = runs[0]
    pages = f", {first['pages']} + {first['key_pages']} pages" if first.get("pages") else ""
    note = (f"generate {secs(med['generate'])}, draw {secs(med['draw'])}, join {secs(med['join'])}, "
            f"waiting on typst {secs(med['typeset'])}{pages}")
    target = TARGETS["class_set_s"]
    rows = [row(4, f"class set: {versions} versions + keys (PDF)", secs(med["total"]), "", f"<= {target:.0f} s",
                verdict(med["total"] <= target), note)]
    extra = {"peak_mb": max(peaks)} if all(p is not None for p in peaks) else {}
    return rows, extra


# ---------------------------------------------------------------- item 5: the engine


def chain(cls, ops: int):
    """x, then `ops` times `v = v + c` or `v = v * c` with a fresh leaf c: 2*ops + 1 nodes, `ops` + 1 deep."""
    v = cls(0.5)
    for i in range(ops):
        v = v * cls(1.0001) if i % 2 else v + cls(0.001)
    return v


def wide(cls, pairs: int):
    """sum of `pairs` products w_i * x_i, added as a balanced tree: 4*pairs - 1 nodes, about log2(pairs) deep."""
    layer = [cls(0.5 + (i % 7) * 0.1) * cls(0.3 - (i % 5) * 0.1) for i in range(pairs)]
    while len(layer) > 1:
        nxt = [layer[i] + layer[i + 1] for i in range(0, len(layer) - 1, 2)]
        if len(layer) % 2:
            nxt.append(layer[-1])
        layer = nxt
    return layer[0]


def run_backward(out) -> None:
    out.backward()


def survives(cls, ops: int) -> bool:
    out = chain(cls, ops)
    try:
        run_backward(out)  # the same call depth as the timed runs
        return True
    except RecursionError:
        return False


def fail_depth(cls, most: int = 1 << 20) -> int | None:
    """The fewest chain ops whose backward raises RecursionError (None if `most` still survives)."""
    lo, hi = 0, 64
    while survives(cls, hi):
        lo, hi = hi, hi * 2
        if hi > most:
            return None
    while hi - lo > 1:  # survives(lo), fails(hi)
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if survives(cls, mid) else (lo, mid)
    return hi


def per_node(cls, make, arg, nodes: int, reps: int) -> tuple[float, float]:
    """(build, backward) seconds per node, medians; a fresh graph per repeat (backward accumulates)."""
    builds, backs = [], []
    for _ in range(reps):
        t_build, out = timed(make, cls, arg)
        t_back, _ = timed(run_backward, out)
        builds.append(t_build / nodes)
        backs.append(t_back / nodes)
        del out
    return median(builds), median(backs)


def us(x: float) -> str:
    return f"{x * 1e6:.3f} µs/node"


def item_engine(size: dict) -> list[dict]:
    from engine import Value

    reps = max(3, size["repeats"])  # these runs are short: always a few
    nodes = size["nodes"]
    ops = (nodes - 1) // 2
    pairs = (nodes + 1) // 4
    n_chain, n_wide = 2 * ops + 1, 4 * pairs - 1
    target = TARGETS["engine"]
    ours_chain = per_node(Value, chain, ops, n_chain, reps)
    ours_wide = per_node(Value, wide, pairs, n_wide, reps)
    rows = []
    try:
        from micrograd.engine import Value as MgValue
    except ImportError:
        rows.append(row(5, f"ours: {n_chain:,}-node chain, backward", us(ours_chain[1]), note="build " + us(ours_chain[0])))
        rows.append(row(5, f"ours: {n_wide:,}-node wide graph, backward", us(ours_wide[1]), note="build " + us(ours_wide[0])))
        rows.append(row(5, "PyPI micrograd", "not installed", note="pip install micrograd==0.1.0"))
        return rows

    fail = fail_depth(MgValue)
    limit = sys.getrecursionlimit()
    mg_ops = (fail - 10) if fail else ops  # the largest chain it survives, with a little room
    n_mg = 2 * mg_ops + 1
    mg_chain = per_node(MgValue, chain, mg_ops, n_mg, max(reps, 9))
    same_chain = per_node(Value, chain, mg_ops, n_mg, max(reps, 9))
    mg_wide = per_node(MgValue, wide, pairs, n_wide, reps)
    ours_survives = survives(Value, ops)

    def vs(ours, theirs):
        r = ours[1] / theirs[1]
        return times(r) + " mg", f"<= {target:.1f}x", verdict(r <= target)

    rows += [
        row(5, f"micrograd: RecursionError from depth", f"{fail + 1:,} nodes" if fail else "none",
            note=f"a chain of {fail:,} ops; recursion limit {limit}" if fail else "survived every depth tried"),
        row(5, f"micrograd: {n_mg:,}-node chain, backward", us(mg_chain[1]), note="build " + us(mg_chain[0])),
        row(5, f"ours: {n_chain:,}-node chain, backward", us(ours_chain[1]), *vs(ours_chain, mg_chain),
            ("build " + us(ours_chain[0])) + ("" if ours_survives else "; FAILED")),
        row(5, f"ours: the same {n_mg:,}-node chain", us(same_chain[1]), *vs(same_chain, mg_chain),
            "build " + us(same_chain[0])),
        row(5, f"micrograd: {n_wide:,}-node wide graph, backward", us(mg_wide[1]), note="build " + us(mg_wide[0])),
        row(5, f"ours: {n_wide:,}-node wide graph, backward", us(ours_wide[1]), *vs(ours_wide, mg_wide),
            "build " + us(ours_wide[0])),
    ]
    return rows


# ---------------------------------------------------------------- item 6: memory as counts grow


def item_deck_memory(count: int) -> list[dict]:
    """One deck of `count` problems, our route, in a process of its own: its peak RSS is the figure."""
    from practice.anki import deck

    spec = deck_spec(count)
    with tempfile.TemporaryDirectory(prefix="bench-mem-") as tmp:
        t, _ = timed(deck.build_deck, spec, Path(tmp) / "m.apkg", "svg", timestamp=TIMESTAMP)
    return [row(6, f"deck of {count:,}", secs(t))]


def item_worksheet_memory(versions: int) -> list[dict]:
    clock = worksheets_once(versions)
    return [row(6, f"class set of {versions}", secs(clock["total"]))]


# ---------------------------------------------------------------- item 7: what users feel


@contextmanager
def recording(sources: list):
    """Every DOT source the drawing hands to dot, appended to `sources` (in the order handed over)."""
    from practice import draw

    owner, name = (draw._Dot, "submit") if hasattr(draw, "_Dot") else (draw, "render")
    inner = getattr(owner, name)

    def wrapper(*args, **kwargs):
        batch = args[1] if owner is not draw else args[0]
        sources.extend(batch)
        return inner(*args, **kwargs)

    with patched(owner, name, wrapper):
        yield


@contextmanager
def recording_pictured(pictured: list):
    """(problem, blank) of every problem whose pictures the build draws, appended to `pictured`."""
    from practice import draw

    inner, check = draw._sources, getattr(draw, "_FILL_CHECK", None)

    def wrapper(problem, pictures, blank=draw.BLANK):
        if (False, None) in pictures and problem is not check:
            pictured.append((problem, blank))
        return inner(problem, pictures, blank)

    with patched(draw, "_sources", wrapper):
        yield


@contextmanager
def layout_floor(graphs: list, handed: list):
    """What item 7's floor lays out, into `graphs`: the distinct graphs of the pictures the build draws, each
    problem's question and whole-pass answer (the issue's floor: every distinct graph laid out once), whether
    the build laid out both or wrote the answer from the question's layout (svgfill). `handed`: the distinct
    DOT texts the build handed to dot."""
    from practice import draw

    pictured, sources = [], []
    with recording_pictured(pictured), recording(sources):
        yield
    graphs += dict.fromkeys(t for p, blank in pictured
                            for t in (draw.dot_source(p, False, blank=blank), draw.dot_source(p, True, blank=blank)))
    handed += dict.fromkeys(sources)


def felt_deck_spec(per_kind: int, folder: Path):
    """The issue's deck: `per_kind` expression medium + `per_kind` neuron hard, seed 0, one variant a note
    where decks have variants."""
    from practice import spec as specs

    deck = '{name: "Bench deck"' + (", variants: 1" if "variants" in specs.SECTION_KEYS.get("deck", {}) else "") + "}"
    path = folder / "felt-deck.yaml"
    path.write_text(f"""title: "Bench deck"
seed: 0
deck: {deck}
problems:
  - {{kind: expression, difficulty: medium, count: {per_kind}}}
  - {{kind: neuron, difficulty: hard, count: {per_kind}}}
""")
    return specs.choose(str(path), seed=0)


def felt_rows(what: str, walls: list[float], floors: list[float], graphs: int, pictures: str, target=None,
              handed: int | None = None) -> dict:
    ratios = sorted(w / f for w, f in zip(walls, floors))
    best, mid, worst = ratios[0], median(ratios), ratios[-1]
    spread = f"best {times(best)}, worst {times(worst)} of {len(ratios)}" if len(ratios) > 1 else "1 run"
    laid = f", dot laid out {handed}" if handed is not None else ""
    note = (f"wall {secs(median(walls))}, floor {secs(median(floors))} ({graphs} distinct graphs{laid}{pictures}); "
            f"ratio {spread}")
    if target is None:
        return row(7, what, secs(median(walls)), f"{times(mid)} floor", "", "", note)
    return row(7, what, secs(median(walls)), f"{times(mid)} floor", f"<= {target}x", verdict(mid <= target), note)


def felt_deck(size: dict, reps: int, bundled: bool = False) -> dict:
    """The issue's deck (one variant a note), or the bundled lesson deck as `deck` builds it (its variants)."""
    import zipfile

    from practice.anki import deck

    with tempfile.TemporaryDirectory(prefix="bench-felt-") as tmp:
        from practice.spec import choose

        spec = choose("micrograd") if bundled else felt_deck_spec(size["felt_deck"], Path(tmp))
        n = deck.deck_variants(spec)
        out = Path(tmp) / "felt.apkg"
        graphs, handed = [], []
        with layout_floor(graphs, handed):  # warm up (imports, templates, dot's font cache) and learn the graphs
            deck.build_deck(spec, out, "svg", timestamp=TIMESTAMP, progress=False)
        with zipfile.ZipFile(out) as zf:
            media = len(zf.namelist()) - 2  # the collection and the media map
        dot_floor(graphs)
        walls, floors = [], []
        for _ in range(reps):  # side by side: load from elsewhere hits both alike
            walls.append(timed(deck.build_deck, spec, out, "svg", timestamp=TIMESTAMP, progress=False)[0])
            floors.append(timed(dot_floor, graphs)[0])
    what = f"deck of {spec.total} (SVG)" + (f", bundled, {n} variants a note" if bundled else "")
    return felt_rows(f"{what}, wall / layout floor", walls, floors, len(graphs),
                     f", {media} pictures", None if bundled else TARGETS["felt_floor"], len(handed))


def felt_worksheets_once(versions: int) -> dict:
    from practice import worksheet
    from practice.spec import choose

    spec = choose("worksheet")
    graphs, handed = [], []
    with tempfile.TemporaryDirectory(prefix="bench-felt-ws-") as tmp, layout_floor(graphs, handed):
        wall, _ = timed(worksheet.build_worksheets, spec, versions, out=Path(tmp) / "s.pdf", key=Path(tmp) / "k.pdf")
    return {"wall": wall, "sources": graphs, "handed": len(handed)}


def felt_worksheets(size: dict, reps: int) -> dict:
    import practice.worksheet  # noqa: F401  (imports, and typst, before the children fork)

    versions = size["felt_versions"]
    walls, floors, graphs, handed = [], [], [], None
    for _ in range(reps):  # each class set in a fresh child (typst keeps caches), the floor beside it
        run, _ = in_child(felt_worksheets_once, versions)
        graphs, handed = run["sources"], run["handed"]
        walls.append(run["wall"])
        floors.append(timed(dot_floor, graphs)[0])
    return felt_rows(f"class set of {versions} worksheets + keys, wall / layout floor", walls, floors,
                     len(graphs), ", typst besides", handed=handed)


def felt_page(size: dict, reps: int) -> dict:
    from practice import page
    from practice.spec import choose

    spec = choose("micrograd")
    with tempfile.TemporaryDirectory(prefix="bench-felt-page-") as tmp:
        out = Path(tmp) / "page.html"
        graphs, handed = [], []
        with layout_floor(graphs, handed):
            page.build_page(spec, out)
        dot_floor(graphs)
        walls, floors = [], []
        for _ in range(reps):
            walls.append(timed(page.build_page, spec, out)[0])
            floors.append(timed(dot_floor, graphs)[0])
    return felt_rows(f"practice page of {spec.total} (micrograd), wall / layout floor", walls, floors, len(graphs), "",
                     handed=len(handed))


def item_felt(size: dict) -> list[dict]:
    reps = max(size["repeats"], size["felt_repeats"])
    return [felt_deck(size, reps), felt_deck(size, reps, bundled=True), felt_worksheets(size, reps), felt_page(size, reps)]


ITEMS = {
    "1": ("problems generated per second", item_generate),
    "2": ("pictures", item_pictures),
    "3": ("1,000-problem deck", item_deck),
    "4": ("class set of worksheets", item_worksheets),
    "5": ("engine backward pass", item_engine),
    "7": ("what users feel: whole builds against their layout floor", item_felt),
}


def run_item(name: str, size: dict) -> dict:
    """One item in this process: {"item", "rows", "peak_mb"} (the process's peak unless the item measured its own)."""
    extra = {}
    if name.startswith("deck"):
        rows = item_deck_memory(int(name[4:]))
    elif name.startswith("ws"):
        rows = item_worksheet_memory(int(name[2:]))
    else:
        rows = ITEMS[name][1](size)
        if isinstance(rows, tuple):
            rows, extra = rows
    result = {"item": name, "rows": rows, "peak_mb": peak_mb()}
    result.update(extra)
    return result


# ---------------------------------------------------------------- the driver


def machine() -> dict:
    def first(path, key):
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return None

    cpu = first("/proc/cpuinfo", "model name") or platform.processor() or platform.machine()
    mem = first("/proc/meminfo", "MemTotal")
    ram = f"{int(mem.split()[0]) / 1024 / 1024:.1f} GB" if mem else "?"
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count()
    dot = shutil.which("dot")
    dot_version = "not found"
    if dot:
        proc = subprocess.run([dot, "-V"], capture_output=True, text=True)
        dot_version = (proc.stderr or proc.stdout).strip().replace("dot - graphviz version ", "")
    try:
        from importlib.metadata import version

        mg = version("micrograd")
    except Exception:
        mg = "not installed"
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True)
    rev = commit.stdout.strip() or "?"
    if dirty.stdout.strip():
        rev += " + local changes"
    return {
        "cpu": cpu,
        "cores": cores,
        "ram": ram,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "dot": dot_version,
        "micrograd": mg,
        "commit": rev,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?",
    }


def spawn(name: str, args) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--item", name, "--json", "--repeats", str(args.repeats)]
    if args.quick:
        cmd.append("--quick")
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=str(ROOT))
    took = time.perf_counter() - started
    if proc.returncode != 0:
        sys.stderr.write(f"bench item {name} crashed (exit {proc.returncode}):\n{proc.stderr}\n")
        return {"item": name, "crashed": True, "rows": [row(name, "CRASHED", "", result="CRASH",
                                                            note=(proc.stderr.strip().splitlines() or ["?"])[-1])],
                "peak_mb": None, "child_peak_mb": None, "seconds": took}
    result = json.loads(proc.stdout)
    result["seconds"] = took
    return result


def table(results: list[dict]) -> list[list[str]]:
    head = ["item", "measure", "figure", "ratio", "target", "result", "peak MB", "notes"]
    lines = [head]
    for res in results:
        peak = ""
        if res.get("peak_mb") is not None:
            peak = f"{res['peak_mb']:.0f}"
        for i, r in enumerate(res["rows"]):
            lines.append([r["item"], r["measure"], r["figure"], r["ratio"], r["target"], r["result"],
                          peak if i == 0 else "", r["note"]])
    return lines


def markdown(lines: list[list[str]]) -> str:
    widths = [max(len(line[c]) for line in lines) for c in range(len(lines[0]))]
    out = []
    for n, line in enumerate(lines):
        out.append("| " + " | ".join(cell.ljust(w) for cell, w in zip(line, widths)) + " |")
        if n == 0:
            out.append("| " + " | ".join("-" * w for w in widths) + " |")
    return "\n".join(out)


def memory_rows(what: str, unit: str, small: dict, big: dict, counts: tuple[int, int]) -> list[dict]:
    """Item 6: the peak RSS of the same work at two counts, each in a process of its own."""
    (na, nb), a, b = counts, small["peak_mb"], big["peak_mb"]
    if a is None or b is None:
        return [row(6, f"{what} of {na:,} and {nb:,} {unit}: peak RSS", "?", note="no getrusage here")]
    growth = b / a
    limit = TARGETS["memory_growth"]
    return [
        row(6, f"{what} of {na:,} {unit}: peak RSS", f"{a:.0f} MB", note=f"built in {small['rows'][0]['figure']}"),
        row(6, f"{what} of {nb:,} {unit}: peak RSS", f"{b:.0f} MB", f"{times(growth)} for {nb / na:.0f}x",
            f"<= {limit}x", verdict(growth <= limit),
            f"built in {big['rows'][0]['figure']}; {(b - a) / (nb - na) * 1000:,.0f} kB more per {unit[:-1]}"),
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat: a smoke check")
    parser.add_argument("--repeats", type=int, default=None, help="repeats per measurement (median taken)")
    parser.add_argument("--only", default=None, help="comma-separated items to run, e.g. 2,5")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--item", default=None, help=argparse.SUPPRESS)  # one item, in this process
    args = parser.parse_args(argv)
    size = dict(SIZES["quick" if args.quick else "full"])
    if args.repeats is None:
        args.repeats = size["repeats"]
    size["repeats"] = max(1, args.repeats)

    if args.item is not None:  # a child: one item, its rows as JSON on stdout
        result = run_item(args.item, size)
        json.dump(result, sys.stdout)
        return 0

    wanted = [x.strip() for x in args.only.split(",")] if args.only else list(ITEMS) + ["6"]
    unknown = [x for x in wanted if x not in ITEMS and x != "6"]
    if unknown:
        parser.error(f"unknown item(s) {', '.join(unknown)}; choose from 1-7")
    info = machine()
    started = time.perf_counter()
    results = []
    for name in wanted:
        if not args.json:
            print(f"running item {name} ...", file=sys.stderr, flush=True)
        if name == "6":
            rows, took, crashed_runs = [], 0.0, []
            for what, unit, prefix, counts in (("deck", "problems", "deck", size["mem_decks"]),
                                                ("class set", "versions", "ws", size["mem_sheets"])):
                small, big = (spawn(f"{prefix}{n}", args) for n in counts)
                took += small["seconds"] + big["seconds"]
                if small.get("crashed") or big.get("crashed"):
                    crashed_runs += [r for r in (small, big) if r.get("crashed")]
                    continue
                rows += memory_rows(what, unit, small, big, counts)
            results.append({"item": "6", "rows": rows, "peak_mb": None, "seconds": took})
            results += crashed_runs
        else:
            results.append(spawn(name, args))
    total = time.perf_counter() - started
    info["load_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    crashed = any(r.get("crashed") for r in results)

    if args.json:
        json.dump({"machine": info, "mode": "quick" if args.quick else "full", "repeats": size["repeats"],
                   "seconds": round(total, 1), "results": results}, sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        mode = "--quick" if args.quick else "full run"
        print(f"Backprop Practice benchmarks ({mode}; medians of {size['repeats']} repeat"
              f"{'s' if size['repeats'] != 1 else ''}; {total:.0f} s in all)")
        print(f"machine: {info['cpu']}, {info['cores']} cores, {info['ram']} RAM, {info['os']}")
        print(f"python {info['python']}, graphviz dot {info['dot']}, micrograd {info['micrograd']}, "
              f"commit {info['commit']}, {info['date']}, load average {info['load']} -> {info['load_end']}")
        print()
        print(markdown(table(results)))
        print()
        print("peak MB: peak RSS of the item's own process (item 4: of one class set; dot runs apart, see item 2). "
              "Targets are checked, never asserted.")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
