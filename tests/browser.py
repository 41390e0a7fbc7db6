"""A real browser for the tests: Debian's chromium-headless-shell (Chromium's headless build, the same Blink as
the chromium package, at half its CPU per page load), driven by Playwright (its own browser download can't run
here), and what the typed-answer tests type: the key in the ways people write numbers, each catalogued
mistake's value, and a number far from everything."""

import itertools
import math
import mimetypes
import threading
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from practice.numbers import MINUS, fmt
from practice.typed import how_lines

CHROMIUM = "/usr/bin/chromium-headless-shell"


# RenderDocument (a new frame object for every navigation, on by default) costs a third of Chromium's CPU for each
# page load, and the tests load thousands; what a page does once loaded is the same without it.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-features=RenderDocument"]


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for a test module (import this fixture into the module)."""
    with sync_playwright() as pw:
        b = launch(pw)
        yield b
        b.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # one connection for a page and its pictures

    def do_GET(self):
        site, _, name = self.path.split("?")[0].lstrip("/").partition("/")
        site = _SITES.get(site)
        body = site.pages.get(name) if site else None
        if body is not None:  # a page: made afresh for every load, never from the cache
            kind, cache = "text/html; charset=utf-8", "no-store"
        elif site and name and "/" not in name and (site.folder / name).is_file():
            body, cache = (site.folder / name).read_bytes(), "max-age=3600"  # media: loaded once per context
            kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        else:
            body, kind, cache = b"", "text/plain", "max-age=3600"  # the favicon a browser asks for: once a context
        self.send_response(200 if kind != "text/plain" else 404)
        for header, value in (("Content-Type", kind), ("Content-Length", str(len(body))), ("Cache-Control", cache)):
            self.send_header(header, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


_SITES: dict = {}
_NEXT = itertools.count(1)


@lru_cache(maxsize=None)
def _server() -> str:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


class Site:
    """Pages and a media folder served by a local web server on 127.0.0.1 (one per test process, in a thread),
    under url(name): one fixed origin, as a reviewer's, where a browser caches media as it would and nothing
    crosses to Python per request. Set pages[name] to the HTML bytes to show before loading url(name)."""

    def __init__(self, folder: Path):
        self.folder, self.pages = Path(folder), {}
        self.key = f"s{next(_NEXT)}"
        self.base = f"{_server()}/{self.key}/"
        _SITES[self.key] = self

    def url(self, name: str) -> str:
        return self.base + name

    def close(self):
        _SITES.pop(self.key, None)


def key_text(value: float, style: int) -> str:
    """The key as a person might type it: a true minus, a hyphen, a leading +, a comma decimal, spaces."""
    shown = fmt(value)  # at most 4 decimals with a true minus: within every tolerance (the floor is 0.001)
    plain = shown.replace(MINUS, "-")
    style %= 5
    if style == 0:
        return shown
    if style == 1:
        return plain
    if style == 2:
        return plain if plain.startswith("-") else "+" + plain
    if style == 3:
        return plain.replace(".", ",")
    return " " + shown.replace(MINUS, MINUS + " ") + " "


def far_off(answer: dict) -> float:
    """A number no key and no mistake of the answer is near."""
    values = [answer["value"]] + [m["value"] for m in answer.get("mistakes") or []]
    x = 9876.5 if max(abs(v) for v in values) < 5000 else -98765.5
    assert all(abs(x - v) > 10 * answer["tolerance"] for v in values)
    return x


def candidates(answer: dict) -> list[tuple[str, str]]:
    """(expected data-verdict, text to type): the key, every catalogued mistake (full precision), far off."""
    out = [("right", key_text(answer["value"], 0))]
    out += [(f"mistake:{m['name']}", repr(float(m["value"]))) for m in answer.get("mistakes") or []]
    out.append(("wrong", repr(far_off(answer))))
    assert all(math.isfinite(float(t.replace(MINUS, "-"))) for _, t in out)
    return out


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


# Kinds whose every answer is made by step lines of its own ("b.grad += ...", "w1.new = ..."); the others
# (training runs, finding an error) may ask for something no single line gives, and then point to the steps.
CORE_KINDS = ("local", "expression", "neuron", "accumulate", "loss", "step", "numeric")


def number(text: str) -> float:
    return float(text.replace(MINUS, "-"))


# Typing a value as a person does fires "input" on the box (what the card script and the page listen to, with
# "keydown" for Enter); TYPE_IN sets each box and fires just that, in one call for every box of the page.
# Playwright's fill (a real focus and text insertion) is used too, wherever a test says real=True, and in the
# screenshot and keyboard tests. Returns the data-answer of every box on the page, in order.
TYPE_IN = """typed => {
  for (const [hook, text] of Object.entries(typed)) {
    const box = document.querySelector(`input[data-answer="${CSS.escape(hook)}"]`);
    box.value = text;
    box.dispatchEvent(new Event("input", {bubbles: true}));
  }
  return [...document.querySelectorAll("input[data-answer]")].map(b => b.getAttribute("data-answer"));
}"""


def type_in(page, typed: dict, real: bool = False) -> list[str]:
    """Type {data-answer hook: text} into the page's boxes: by Playwright's fill (real) or TYPE_IN. Returns the
    hooks of every box on the page."""
    if real:
        for hook, text in typed.items():
            page.locator(f'input[data-answer="{hook}"]').fill(text)
        typed = {}
    return page.evaluate(TYPE_IN, typed)


READ_VERDICTS = """() => Object.fromEntries([...document.querySelectorAll("[data-verdict-for]")].map(e => [
  e.getAttribute("data-verdict-for"),
  {verdict: e.getAttribute("data-verdict"), text: e.innerText, how: [...e.querySelectorAll(".bp-how li")].map(li => li.innerText)}
]))"""


# Playwright's is_visible, in a page's own script: a box of some size, and not visibility: hidden.
VISIBLE = """e => { const r = e.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== "hidden"; }"""
# What a mouse click and the Enter key send, for the scripts that listen to them (a click's detail is 1).
CLICK = 'e => e.dispatchEvent(new MouseEvent("click", {bubbles: true, cancelable: true, detail: 1}))'
ENTER = 'e => e.dispatchEvent(new KeyboardEvent("keydown", {key: "Enter", code: "Enter", bubbles: true, cancelable: true}))'


def read_verdicts(page) -> dict:
    """{"<problem id>/<answer name>": {"verdict", "text", "how"}} for every verdict element on the page, in one call."""
    return page.evaluate(READ_VERDICTS)


def assert_verdict(shown: dict, problem: dict, answer: dict, expected: str) -> None:
    """One answer's verdict element: its hook; a named mistake shows its why; a wrong number shows the step
    line(s) that give the key, whose results add up to it (within the tolerance), or, only where no line
    gives it alone, points to the worked steps."""
    assert shown["verdict"] == expected, (problem["id"], answer["name"], shown)
    if expected.startswith("mistake:"):
        why = next(m["why"] for m in answer["mistakes"] if m["name"] == expected[len("mistake:"):])
        assert why in shown["text"]
    if expected != "wrong":
        return
    assert shown["how"] == how_lines(problem, answer["name"])
    if problem["kind"] in CORE_KINDS:
        assert shown["how"]
    if shown["how"]:
        total = sum(number(line.rsplit(" = ", 1)[1]) for line in shown["how"])
        assert abs(total - answer["value"]) <= answer["tolerance"]
    else:
        assert "worked steps" in shown["text"]
