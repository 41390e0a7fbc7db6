"""Typed answers on the Anki problem cards, in a real browser (Debian's chromium through Playwright).

A deck with a problem of every kind and difficulty is built, imported into a real Anki collection with the
`anki` package, and each card's card.question() and card.answer() HTML is shown the way Anki's webviews show
it: inside <body class="card cardN"><div id="qa">, at one origin. The front is loaded and typed into; then
- the back in a fresh page load of the same origin (AnkiDroid reloads the page for the back): the typed
  values reach it through sessionStorage;
- or, with sessionStorage refused, the back swapped into the same page with its scripts run again (Anki
  desktop and AnkiWeb keep one page): the values reach it through the window.
Every answer is typed as its key (verdict right), as each catalogued mistake's value (the verdict names it)
and far off (wrong). With scripts off a card reads exactly as it would without the typed-answer part.
"""

import atexit
import json
import re
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

import pytest
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

from browser import (READ_VERDICTS, CORE_KINDS, Site, assert_verdict, browser, candidates, key_text,  # noqa: F401
                     no_horizontal_scroll, number, type_in)
from practice.anki import deck
from practice.generate import make_problem, problem_set
from practice.kinds import KINDS
from practice.spec import choose
from practice.typed import how_lines

SPEC = "title: Every kind\nseed: 5\nproblems:\n" + "".join(
    f"  - {{kind: {k}, difficulty: {d}, count: 1}}\n" for k in KINDS for d in ("easy", "medium", "hard")
)
NO_SESSION_STORAGE = """
Object.defineProperty(window, "sessionStorage", {get() { throw new DOMException("denied", "SecurityError"); }});
"""
# What Anki desktop does to show the back in the page it keeps: replace the card's HTML, run its scripts again.
SWAP_IN = """html => {
  const qa = document.getElementById("qa");
  qa.innerHTML = html;
  for (const old of qa.querySelectorAll("script")) {
    const s = document.createElement("script");
    for (const attr of old.attributes) s.setAttribute(attr.name, attr.value);
    s.textContent = old.textContent;
    old.replaceWith(s);
  }
}"""


@lru_cache(maxsize=None)
def every_kind() -> dict:
    """SPEC built and imported into a fresh collection, once per test process (xdist may set up this module's
    fixtures more than once in a worker)."""
    root = Path(tempfile.mkdtemp(prefix="bp-typed-"))
    atexit.register(shutil.rmtree, root, True)
    (root / "every.yaml").write_text(SPEC, encoding="utf-8")
    spec = choose(str(root / "every.yaml"))
    deck.build_deck(spec, root / "every.apkg", timestamp=1_700_000_000, variants=1)  # variants: test_variants_cards
    col = Collection(str(root / "collection.anki2"))
    atexit.register(col.close)
    col.import_anki_package(ImportAnkiPackageRequest(package_path=str(root / "every.apkg"),
                                                     options=ImportAnkiPackageOptions()))
    keys = {p["id"]: p for p in problem_set(spec.entries, spec.seed)}
    cards = {}
    for cid in col.find_cards(f'"note:{deck.PROBLEM_MODEL_NAME}"'):
        card = col.get_card(cid)
        cards.setdefault(card.note()["Id"], []).append(card)
    return {"col": col, "keys": keys, "cards": cards, "media": Path(col.media.dir())}


@pytest.fixture(scope="module")
def collection():
    return every_kind()


def wrap(html: str, ordinal: int, night: str = "") -> str:
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"></head><body class="card card{ordinal + 1} {night}">'
            f'<div id="qa">{html}</div></body></html>')


class Reviewer:
    """One card on show at one origin (a local web server, browser.Site): question and answer are its two
    sides, anything else a media file of the collection."""

    def __init__(self, browser, media: Path, width=1280, night="", scripts=True, session=True):
        self.night = night
        self.site = Site(media)
        self.context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=scripts)
        if not session:
            self.context.add_init_script(NO_SESSION_STORAGE)
        self.page = self.context.new_page()
        self.errors = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.card = None

    def show(self, name: str, html: str, wait_until="load"):
        """Load `html` as the page `name` of the origin."""
        self.site.pages[name] = html.encode("utf-8")
        self.page.goto(self.site.url(name), wait_until=wait_until)

    def front(self, card):
        self.card = card
        self.show("question", wrap(card.question(), card.ord, self.night), "domcontentloaded")  # its scripts have run

    def back_by_reload(self):
        self.show("answer", wrap(self.card.answer(), self.card.ord, self.night), "domcontentloaded")

    def back_in_place(self):
        self.page.evaluate(SWAP_IN, self.card.answer())

    def close(self):
        self.context.close()
        self.site.close()
        assert self.errors == []


def slot_answers(card, problem):
    return problem["answers"] if card.ord == deck.MAX_ANSWERS else [problem["answers"][card.ord]]


# The back as the checks read it, in one call: how many boxes are left, and every verdict element.
READ_BACK = f"() => [document.querySelectorAll('input[data-answer]').length, ({READ_VERDICTS})()]"


def type_and_check(reviewer, card, problem, typed: dict, in_place=False, real=False):
    """Type on the front (by Playwright's fill where real, else browser.TYPE_IN's input events), show the
    back, and return {answer name: its verdict element as read_verdicts reads it}."""
    reviewer.front(card)
    page = reviewer.page
    boxes = type_in(page, {f'{problem["id"]}/{name}': text for name, text in typed.items()}, real=real)
    assert len(boxes) == len(slot_answers(card, problem))
    reviewer.back_in_place() if in_place else reviewer.back_by_reload()
    left, shown = page.evaluate(READ_BACK)
    assert left == 0
    assert sorted(shown) == sorted(f'{problem["id"]}/{name}' for name in typed)
    return {name: shown[f'{problem["id"]}/{name}'] for name in typed}


def rounds(answers, r: int, shift: int) -> tuple[dict, dict]:
    """Round r: every answer's r-th candidate (the key once it has none left). (typed, expected)."""
    typed, expected = {}, {}
    for j, a in enumerate(answers):
        options = candidates(a)
        verdict, text = options[r] if r < len(options) else ("right", "")
        if verdict == "right":
            text = key_text(a["value"], shift + j + r)
        typed[a["name"]], expected[a["name"]] = text, verdict
    return typed, expected


def test_the_step_that_gives_the_key_adds_up():
    """The "how" of a wrong verdict, over 30 problems of every kind and difficulty: its lines' results add up
    to the key within the tolerance; only kinds beyond the core ones may have answers no line gives alone."""
    for kind in KINDS:
        for difficulty in ("easy", "medium", "hard"):
            for i in range(30):
                problem = make_problem(kind, difficulty, 1000 * i + 17)
                for answer in problem["answers"]:
                    lines = how_lines(problem, answer["name"])
                    assert lines or kind not in CORE_KINDS, (problem["id"], answer["name"])
                    total = sum(number(line.rsplit(" = ", 1)[1]) for line in lines)
                    assert not lines or abs(total - answer["value"]) <= answer["tolerance"], (problem["id"], lines)


def test_the_grading_field_is_the_record(collection):
    for pid, cards in collection["cards"].items():
        data = json.loads(cards[0].note()["Grading"])
        problem = collection["keys"][pid]
        assert data["id"] == pid
        for a, shown in zip(problem["answers"], data["answers"]):
            assert (shown["name"], shown["value"], shown["tolerance"]) == (a["name"], a["value"], a["tolerance"])
            assert shown["mistakes"] == a["mistakes"]
        names = deck.problem_field_names()  # appended at the end, in turn: existing notes keep their fields
        assert names[-4:] == ["Grading", "Variants", "VariantGrading", "VariantCount"]


SHARDS = 3  # the problems split three ways: three tests of a bearable length (the module runs on one worker)


@pytest.mark.parametrize("shard", range(SHARDS))
def test_every_verdict_on_every_kind_through_session_storage(collection, browser, shard):
    """Each problem's whole-pass card (or its one card) gets every candidate of every answer; its first
    single-answer card one round. The back is a fresh page load, as in AnkiDroid. Shard k takes problems
    k, k + SHARDS, ...: together they take every problem, of every kind."""
    reviewer = Reviewer(browser, collection["media"])
    seen = set()
    kinds = {collection["keys"][pid]["kind"] for pid in collection["cards"]}
    try:
        for i, (pid, cards) in enumerate(sorted(collection["cards"].items())):
            if i % SHARDS != shard:
                continue
            problem = collection["keys"][pid]
            full = max(cards, key=lambda c: c.ord)  # the whole-pass card when there is one
            for card in {full.ord: full, min(c.ord for c in cards): min(cards, key=lambda c: c.ord)}.values():
                answers = slot_answers(card, problem)
                most = max(len(candidates(a)) for a in answers)
                for r in range(most) if card is full else [i % most]:
                    typed, expected = rounds(answers, r, i)
                    shown = type_and_check(reviewer, card, problem, typed, real=r == 0)  # the key by fill
                    for a in answers:
                        assert_verdict(shown[a["name"]], problem, a, expected[a["name"]])
                    seen |= {v.split(":")[0] for v in expected.values()}
    finally:
        reviewer.close()
    assert seen == {"right", "mistake", "wrong"} and kinds == set(KINDS)


def test_without_session_storage_the_window_carries_the_values(collection, browser):
    """Anki desktop and AnkiWeb keep one page for both sides: with sessionStorage refused, the back still gets
    the values typed on the front."""
    reviewer = Reviewer(browser, collection["media"], session=False)
    done = set()
    try:
        for i, (pid, cards) in enumerate(sorted(collection["cards"].items())):
            problem = collection["keys"][pid]
            if problem["kind"] in done:
                continue
            done.add(problem["kind"])
            card = max(cards, key=lambda c: c.ord)
            answers = slot_answers(card, problem)
            for r in range(max(len(candidates(a)) for a in answers)):
                typed, expected = rounds(answers, r, i)
                shown = type_and_check(reviewer, card, problem, typed, in_place=True, real=r == 0)
                for a in answers:
                    assert_verdict(shown[a["name"]], problem, a, expected[a["name"]])
    finally:
        reviewer.close()
    assert done == set(KINDS)


def test_nothing_typed_no_verdict_and_a_new_front_forgets(collection, browser):
    reviewer = Reviewer(browser, collection["media"])
    try:
        pid, cards = sorted(collection["cards"].items())[0]
        problem, card = collection["keys"][pid], cards[0]
        reviewer.front(card)
        reviewer.back_by_reload()
        assert reviewer.page.locator("[data-verdict-for]").count() == 0
        assert reviewer.page.locator(".bp-typed").inner_html() == ""
        # typed once, then shown again without typing: the old value is not graded again
        type_and_check(reviewer, card, problem, {slot_answers(card, problem)[0]["name"]: "123"})
        reviewer.front(card)
        reviewer.back_by_reload()
        assert reviewer.page.locator("[data-verdict-for]").count() == 0
    finally:
        reviewer.close()


def _without_typed_part(html: str) -> str:
    cut = re.sub(r'<div class="bp-typed"[^>]*></div>\s*<script type="application/json" class="bp-grading">.*?</script>', "",
                 html, flags=re.S)
    cut = re.sub(r"<style>(?:(?!</style>).)*</style>\s*<script>.*?</script>", "", cut, flags=re.S)  # not Anki's own <style>
    assert 'class="bp-typed"' not in cut and "bp-grading" not in cut and "BackpropVerdict" not in cut
    return cut


def test_without_scripts_a_card_reads_as_before(collection, browser):
    """Scripts off: the same text and the same height as the card without its typed-answer part."""
    plain = Reviewer(browser, collection["media"], scripts=False)
    try:
        for pid, cards in sorted(collection["cards"].items())[:6]:
            for card in cards:
                for side in ("question", "answer"):
                    html = getattr(card, side)()
                    assert 'class="bp-typed"' in html and "bp-grading" in html
                    shown = []
                    for body in (html, _without_typed_part(html)):
                        plain.show("raw", wrap(body, card.ord))  # waits for the pictures: they make the height
                        shown.append(plain.page.evaluate(
                            "[document.body.innerText, document.body.scrollHeight, document.querySelectorAll('input').length]"))
                    assert shown[0] == shown[1], (pid, card.ord, side)
                    assert shown[0][2] == 0
    finally:
        plain.close()


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("night", ["", "nightMode", "night_mode"])
def test_screenshots(collection, browser, tmp_path, width, night):
    """Phone and desktop, light and Anki's two night modes: boxes on the front, verdicts on the back, no
    sideways scrolling. The pictures are kept in the test's temporary folder for a person to look at."""
    reviewer = Reviewer(browser, collection["media"], width=width, night=night)
    try:
        pid, cards = max(collection["cards"].items(), key=lambda kv: len(collection["keys"][kv[0]]["answers"]))
        problem = collection["keys"][pid]
        card = max(cards, key=lambda c: c.ord)
        answers = slot_answers(card, problem)
        typed = {}
        for j, a in enumerate(answers):
            m = a["mistakes"]
            typed[a["name"]] = repr(m[0]["value"]) if j == 1 and m else ("999" if j == 2 else key_text(a["value"], j))
        reviewer.front(card)
        for name, text in typed.items():
            reviewer.page.locator(f'input[data-answer="{pid}/{name}"]').fill(text)
        reviewer.page.wait_for_load_state("load")  # the picture too
        assert no_horizontal_scroll(reviewer.page)
        reviewer.page.screenshot(path=str(tmp_path / f"card-front-{width}-{night or 'light'}.png"), full_page=True)
        reviewer.back_by_reload()
        reviewer.page.wait_for_load_state("load")
        assert reviewer.page.locator("[data-verdict]").count() == len(answers)
        assert no_horizontal_scroll(reviewer.page)
        colours = reviewer.page.evaluate(
            "[getComputedStyle(document.body).color, getComputedStyle(document.body).backgroundColor]")
        assert colours[0] != colours[1]
        reviewer.page.screenshot(path=str(tmp_path / f"card-back-{width}-{night or 'light'}.png"), full_page=True)
    finally:
        reviewer.close()
