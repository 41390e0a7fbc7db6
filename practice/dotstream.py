"""`dot -Tsvg` kept running for a whole build: fed graphs as they come, each picture read back as soon as dot
has drawn it (dot flushes its output after every graph).

A dot process costs about 16 ms of CPU to start (its font configuration), which a deck of a few hundred problems
paid once per batch; a process kept running pays it once, and the pictures can be handed over in small batches,
so that Python works on the first problems while dot draws the next and little is left to do when dot ends.

Batches stay apart in the stream: after each batch a tiny marker graph with the batch's number goes in, and a
batch is done when its marker comes out, with exactly one picture per source. Anything else (dot stopped by a
syntax error, a source that swallowed the next one, a picture short or extra) is never guessed at: that batch,
and any whose marker went missing, is drawn again by `fallback` (one dot process for the batch, then one per
graph, each keeping its own error message), and a new process takes over what comes after (draw._Dot).
"""

import os
import queue
import subprocess
import threading
import time
from collections import deque
from concurrent.futures import Future

_MARK = b"<title>bp_stream_mark_"  # the marker graphs' title; ours are named otherwise ("backprop")
_END = b"</svg>"
_READ = 1 << 16


def _cut(buf: bytes) -> tuple[list[bytes], bytes]:
    """The whole SVG documents at the start of buf (each through "</svg>" and its newline), and the rest."""
    docs, start = [], 0
    while True:
        i = buf.find(_END, start)
        end = i + len(_END)
        if i < 0 or end == len(buf):  # no end yet, or its newline not read yet: wait for more
            return docs, buf[start:]
        if buf[end : end + 1] == b"\n":
            end += 1
        docs.append(buf[start:end])
        start = end


def _marker(doc: bytes) -> int | None:
    """The batch number of a marker graph's picture; None for any other picture."""
    at = doc.find(_MARK, 0, 1000)
    if at < 0:
        return None
    digits = doc[at + len(_MARK) : doc.find(b"</title>", at)]
    return int(digits) if digits.isdigit() else None


class _Watch:
    """One thread for every stream that stops a dot silent for longer than its timeout while pictures are waiting.
    The readers block in read() alone: waiting in select() with a timeout first cost each reader a second system
    call and thread wake-up for every piece of output (a fifth of its CPU). The thread runs while a stream does:
    the last stream's reader ends it, so no thread outlives the pictures."""

    TICK = 1.0  # s between looks: a stuck dot is stopped within its timeout and this

    def __init__(self):
        self._streams, self._changed, self._thread = set(), threading.Condition(), None

    def add(self, stream) -> None:
        with self._changed:
            self._streams.add(stream)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True, name="dot-stream-watch")
                self._thread.start()

    def discard(self, stream) -> None:
        with self._changed:
            self._streams.discard(stream)
            done = self._thread if not self._streams else None
            if done is not None:
                self._thread = None
                self._changed.notify_all()
        if done is not None:
            done.join()

    def _run(self) -> None:
        me = threading.current_thread()
        while True:
            with self._changed:
                if self._thread is not me:
                    return
                self._changed.wait(self.TICK)
                if self._thread is not me:
                    return
                streams = list(self._streams)
            now = time.monotonic()
            for stream in streams:
                stream._check(now)


_WATCH = _Watch()


class _Batch:
    __slots__ = ("number", "sources", "future")

    def __init__(self, number: int, sources: list[str]):
        self.number, self.sources, self.future = number, sources, Future()


class Stream:
    """One dot process and two threads (and the watch that every stream shares): a writer that feeds it batches, a
    reader that cuts its output into pictures and completes each batch's Future with [(picture or None, dot's
    message)], one per source.
    `fix(picture)` is applied to each picture (the clean-up a batch's pictures get); `fallback(sources)` draws a
    batch the stream could not, returning the same list. send() is called from one thread; once dot has stopped
    it returns None, and the caller starts another Stream."""

    def __init__(self, args: list[str], fix, fallback, timeout: float):
        self.fix, self.fallback, self.timeout = fix, fallback, timeout
        self.queued = 0  # sources sent and not yet drawn: the caller gives new work to the stream with fewest
        self.sent = 0  # sources sent in all
        self._lock = threading.Lock()
        self._pending: deque[_Batch] = deque()
        self._numbers = iter(range(1, 1 << 62))
        self._abandon = False
        self._heard = time.monotonic()  # when dot last wrote, or was last given work while idle
        self._proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._inbox = queue.SimpleQueue()
        self._open = True  # the reader takes batches (until dot stops)
        self._writer = threading.Thread(target=self._write, args=(self._proc, self._inbox), daemon=True,
                                        name="dot-stream-in")
        self._reader = threading.Thread(target=self._read, args=(self._proc,), daemon=True, name="dot-stream-out")
        self._writer.start()
        self._reader.start()

    def send(self, sources: list[str]) -> Future | None:
        batch = _Batch(next(self._numbers), list(sources))
        data = "\n".join([*batch.sources, f"digraph bp_stream_mark_{batch.number} {{}}", ""]).encode("utf-8")
        with self._lock:
            if not self._open:
                return None
            if not self._pending:
                self._heard = time.monotonic()  # dot's time for this batch starts now
            self._pending.append(batch)
            self.queued += len(batch.sources)
            self.sent += len(batch.sources)
            self._inbox.put(data)
        return batch.future

    def retire(self) -> None:
        """No more batches: dot draws what it was given and stops (the caller still gets those pictures)."""
        self._inbox.put(None)

    @staticmethod
    def _write(proc, inbox) -> None:
        try:
            while (data := inbox.get()) is not None:
                proc.stdin.write(data)
                proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):  # dot stopped: the reader finds out and draws apart
            pass
        finally:
            try:
                proc.stdin.close()
            except (BrokenPipeError, OSError):
                pass

    def _finish(self, batch: _Batch, results) -> None:
        with self._lock:
            self.queued -= len(batch.sources)
        batch.future.set_result(results)

    def _done(self, number: int, docs: list[bytes]) -> None:
        """Marker `number` came out after `docs`: complete its batch, and draw apart any earlier one still waiting
        (its marker was lost)."""
        while True:
            with self._lock:
                if not self._pending or self._pending[0].number > number:
                    return
                batch = self._pending.popleft()
            if batch.number == number and len(docs) == len(batch.sources):
                self._finish(batch, [(self.fix(d), "") for d in docs])
            else:
                self._finish(batch, self.fallback(batch.sources))

    def _check(self, now: float) -> None:
        """(The watch thread) stop dot if pictures have been waiting longer than the timeout since it last wrote."""
        with self._lock:
            stuck = bool(self._pending) and now - self._heard > self.timeout
        if stuck and self._proc.poll() is None:
            self._proc.kill()  # dot took too long on something: the reader reads the end, and draws what waits apart

    def _read(self, proc) -> None:
        fd, buf, docs = proc.stdout.fileno(), b"", []
        _WATCH.add(self)
        try:
            while True:
                chunk = os.read(fd, _READ)
                if not chunk:
                    break
                self._heard = time.monotonic()
                whole, buf = _cut(buf + chunk)
                for doc in whole:
                    number = _marker(doc)
                    if number is None:
                        docs.append(doc)
                    else:
                        self._done(number, docs)
                        docs = []
        finally:
            _WATCH.discard(self)
            proc.stdout.close()
            proc.wait()
            while True:  # whatever was still waiting when dot stopped is drawn apart (unless the caller left)
                with self._lock:
                    if not self._pending:
                        self._open = False
                        break
                    batch = self._pending.popleft()
                if self._abandon:
                    batch.future.cancel()
                    continue
                try:
                    self._finish(batch, self.fallback(batch.sources))
                except BaseException as error:  # noqa: BLE001  (the waiting caller gets it)
                    batch.future.set_exception(error)

    def close(self, kill: bool = False) -> None:
        """Let dot draw what it was given and stop, or (`kill`: the caller left early) stop it now; end the threads."""
        if kill and self._proc.poll() is None:
            self._abandon = True
            self._proc.kill()
        self._inbox.put(None)
        self._writer.join()
        self._reader.join()
