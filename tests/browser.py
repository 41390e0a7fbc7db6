"""A real browser for the tests: Debian's chromium, driven by Playwright (its own browser download can't run
here), and what the typed-answer tests type: the key in the ways people write numbers, each catalogued
mistake's value, and a number far from everything."""

import math

import pytest
from playwright.sync_api import sync_playwright

from practice.numbers import MINUS, fmt
from practice.typed import how_lines

CHROMIUM = "/usr/bin/chromium"


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for a test module (import this fixture into the module)."""
    with sync_playwright() as pw:
        b = launch(pw)
        yield b
        b.close()


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


READ_VERDICTS = """() => Object.fromEntries([...document.querySelectorAll("[data-verdict-for]")].map(e => [
  e.getAttribute("data-verdict-for"),
  {verdict: e.getAttribute("data-verdict"), text: e.innerText, how: [...e.querySelectorAll(".bp-how li")].map(li => li.innerText)}
]))"""


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
