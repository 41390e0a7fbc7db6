"""CPU of the benchmark deck's picture pipeline, per stage and per thread, median over builds: the stages of
/work/tools/stages_deck.py (thread_time summed in the wrapped calls) and every thread's own thread_time, by
kind (the main thread, the zip's compressor, dot's stream readers and writers). Run from the worktree root:
python bench/pictures_cpu.py [builds]."""
import collections, functools, importlib, statistics, sys, tempfile, threading, time
from pathlib import Path

sys.path.insert(0, "bench")
import run as bench  # noqa: E402
from practice.anki import deck  # noqa: E402

acc, lock = collections.Counter(), threading.Lock()
_run = threading.Thread.run


def run(self):
    t = time.thread_time()
    try:
        _run(self)
    finally:
        with lock:
            acc["thread " + self.name.rstrip("0123456789_")] += time.thread_time() - t


threading.Thread.run = run


def wrap(modname, attr):
    owner = importlib.import_module(modname)
    parts = attr.split(".")
    for p in parts[:-1]:
        owner = getattr(owner, p)
    f = getattr(owner, parts[-1])
    key = modname.split(".")[-1] + "." + attr

    @functools.wraps(f)
    def w(*a, **k):
        t = time.thread_time()
        try:
            return f(*a, **k)
        finally:
            d = time.thread_time() - t
            with lock:
                acc[key] += d
    setattr(owner, parts[-1], w)


for m, a in [("practice.generate", "make_problem"), ("practice.anki.variants", "note_fields"),
             ("practice.draw", "_card_start"), ("practice.draw", "_card_finish"),
             ("practice.svgmarks", "Marks.__init__"), ("practice.svgmarks", "Marks.without"),
             ("practice.draw", "picture_name"), ("practice.anki.package", "PackageWriter.add_note")]:
    wrap(m, a)

builds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
tmp = Path(tempfile.mkdtemp())
spec = bench.felt_deck_spec(200, tmp)
out = tmp / "d.apkg"
deck.build_deck(spec, out, "svg", timestamp=bench.TIMESTAMP, progress=False)
rows = collections.defaultdict(list)
for _ in range(builds):
    acc.clear()
    t, tt = time.process_time(), time.thread_time()
    deck.build_deck(spec, out, "svg", timestamp=bench.TIMESTAMP, progress=False)
    rows["process"].append(time.process_time() - t)
    rows["thread MainThread"].append(time.thread_time() - tt)
    for k, v in acc.items():
        rows[k].append(v)
for k in sorted(rows, key=lambda k: -statistics.median(rows[k])):
    print(f"{statistics.median(rows[k]):.3f} {k}")
