"""Which variant a showing deals, in a real browser (Debian's chromium through Playwright), on the cards of a
deck with 8 variants per note imported into a real Anki collection (tests/variant_deck.py).

Each showing loads the card's front as a page (AnkiDroid) and its back either as a fresh load of the same
origin or swapped into the same page (Anki desktop, AnkiWeb), with the page's clock set for the showing:
- storage kept (one browser context for every showing): every variant once a round, never one twice running;
- storage wiped (a new context each showing, or localStorage refused): the time's choice, which never repeats
  for the gaps a learner has (learning steps of minutes, reviews whole days apart);
- the back shows the front's variant, and its verdicts judge that variant's key and mistakes;
- scripts off: variant 1 front and back.
"""

import random
import re
from datetime import datetime, timezone
from html import unescape

import pytest

from browser import browser, key_text, no_horizontal_scroll, read_verdicts  # noqa: F401  (browser: a fixture)
from practice.anki import deck
from test_typed_cards import SWAP_IN, Reviewer
from variant_deck import N, numbers_in, setup_numbers, shared_deck

START = int(datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc).timestamp() * 1000)
MINUTE, DAY = 60_000, 86_400_000  # times here are in ms; Playwright's clock takes seconds
NO_LOCAL_STORAGE = """
Object.defineProperty(window, "localStorage", {get() { throw new DOMException("denied", "SecurityError"); }});
"""
# The gaps between two showings of a card that a learner has, for N = 8 (docs/variants.md): Anki's learning
# steps (1 and 10 minutes, and a few minutes more while other cards are due first) and reviews whole days
# apart at the same time of day (half a minute either way). Each is (least, most) in milliseconds.
REAL_GAPS = [(g * MINUTE, g * MINUTE + 59_000) for g in range(1, N - 1)] + [(10 * MINUTE, 14 * MINUTE)]
REAL_GAPS += [(k * DAY - 30_000, k * DAY + 30_000) for k in (1, 2, 4, 6, 7)]


@pytest.fixture(scope="module")
def d():
    return shared_deck()


def variants_of(d, card) -> list[dict]:
    return next(e for e in d["exercises"] if e[0]["id"] == card.note()["Id"])


def whole_pass_cards(d) -> list:
    """The whole-pass card of each note that has one (every answer of the variant on one card)."""
    return [c for cards in d["cards"].values() for c in cards if c.ord == deck.MAX_ANSWERS]


def one_answer_card(d):
    return next(c for cards in d["cards"].values() for c in cards if c.ord == 0)


def shown(page) -> dict:
    """What the card on show says of its variant."""
    return page.evaluate("""() => {
      const root = document.querySelector('.problem');
      const id = document.querySelector('.problem [data-field="Id"]');
      const set = document.querySelector('.bp-variant-number');
      return {variant: root.getAttribute('data-variant'), variants: root.getAttribute('data-variants'),
              id: id ? id.textContent : null, set: set ? set.parentElement.textContent : null,
              question: document.querySelector('.problem .question').innerText,
              values: [...document.querySelectorAll('.problem .answer-value')].map(e => e.textContent),
              pictures: [...document.querySelectorAll('img')].map(e => e.getAttribute('src')),
              boxes: [...document.querySelectorAll('input[data-answer]')].map(e => e.getAttribute('data-answer'))};
    }""")


def check_side(view: dict, record: dict, k: int, side: str):
    """The side shows variant k, and it is the record: its setup, its answers (back), its id (back)."""
    from practice.numbers import fmt

    assert view["variant"] == str(k) and view["variants"] == str(N), view
    assert setup_numbers(record) <= numbers_in(unescape(view["question"])), (k, view["question"][:200])
    assert len(view["pictures"]) == 1, view["pictures"]  # the variants' pictures stay in the inert template
    if side == "back":
        assert view["id"] == record["id"]
        assert view["set"].endswith(f"numbers set {k} of {N}"), view["set"]
        shown_values = set(view["values"])
        assert shown_values <= {fmt(a["value"]) for a in record["answers"]} and shown_values
    else:
        assert all(b.startswith(record["id"] + "/") for b in view["boxes"]) and view["boxes"]


def show(reviewer, card, when: int, in_place=False, front_in_place=False) -> tuple[int, dict, dict]:
    """One showing at time `when` (ms): front (a page load, or swapped into the page on show as Anki desktop
    does), then back (a page load, or swapped in). (variant, front view, back view)."""
    reviewer.context.clock.set_fixed_time((when) / 1000)
    if front_in_place:
        reviewer.card = card
        reviewer.page.evaluate(SWAP_IN, card.question())
    else:
        reviewer.front(card)
    front = shown(reviewer.page)
    reviewer.context.clock.set_fixed_time((when + 20_000) / 1000)  # the learner thinks for 20 seconds
    reviewer.back_in_place() if in_place else reviewer.back_by_reload()
    back = shown(reviewer.page)
    assert front["variant"] == back["variant"], (front["variant"], back["variant"])
    k = int(front["variant"])
    record = variants_of(reviewer.d, card)[k - 1]
    check_side(front, record, k, "front")
    check_side(back, record, k, "back")
    return k, front, back


def make_reviewer(browser, d, **options):
    r = Reviewer(browser, d["media"], **options)
    r.d = d
    return r


def test_storage_kept_every_variant_once_a_round(browser, d):
    """One context for every showing (localStorage and sessionStorage last): with the clock at one instant
    for every showing, and again with the gaps of a learning day, each run of N showings of a card is every
    variant once, and no two showings running repeat, across rounds too. Most showings are swapped into the
    page (Anki desktop); every third front and every other back is a page load (AnkiDroid)."""
    reviewer = make_reviewer(browser, d)
    try:
        for card, gaps in ((one_answer_card(d), [0] * (2 * N)), (whole_pass_cards(d)[0], [MINUTE, 10 * MINUTE, DAY, 3 * DAY] * 2 + [DAY])):
            when, dealt = START, []
            for i, gap in enumerate(gaps):  # the first front is a page load: the page then holds a card
                when += gap
                dealt.append(show(reviewer, card, when, in_place=i % 2 == 0, front_in_place=i % 3 != 0)[0])
            rounds = [dealt[j:j + N] for j in range(0, len(dealt) - N + 1, N)]
            assert len(rounds) == len(dealt) // N and all(sorted(r) == list(range(1, N + 1)) for r in rounds), dealt
            assert all(a != b for a, b in zip(dealt, dealt[1:])), dealt
    finally:
        reviewer.close()


def test_storage_wiped_consecutive_showings_never_repeat(browser, d):
    """A new context for every showing (nothing kept between reviews), the clock moved on by a learner's gap
    each time: no two showings running repeat; the back (a fresh load, or swapped into the page with
    sessionStorage refused) shows the front's variant."""
    rng = random.Random(8)
    for card, count in ((one_answer_card(d), 6), (whole_pass_cards(d)[1], 4)):
        when, dealt = START + rng.randrange(DAY), []
        for i in range(count):
            reviewer = make_reviewer(browser, d, session=i % 2 == 0)
            try:
                dealt.append(show(reviewer, card, when, in_place=i % 2 == 1)[0])
            finally:
                reviewer.close()
            least, most = rng.choice(REAL_GAPS)
            when += rng.randint(least, most)
        assert all(a != b for a, b in zip(dealt, dealt[1:])), dealt
        assert len(set(dealt)) >= min(count, N) // 2, dealt


# The card's own variant script (the text the cards include), run in one page for many times: Date is replaced
# while it runs, as Playwright's clock replaces it, so thousands of showings take one call.
TIME_CHOICES = """([script, times]) => {
  const real = window.Date;
  const root = document.querySelector('.problem');
  const run = new Function(script);
  return times.map(t => {
    window.Date = function () { return new real(t); };
    try { root.setAttribute('data-variant', '1'); run(); } finally { window.Date = real; }
    return Number(root.getAttribute('data-variant'));
  });
}"""


def test_the_time_choice_over_many_gaps(browser, d):
    """The choice where nothing is stored (localStorage refused), over many starts: never the same for two
    showings a learner's gap apart (REAL_GAPS, each at random within it and at its shortest), for several
    cards; about 1 in N for gaps of any length (a review on another day at another hour)."""
    from practice.resources import templates_dir

    script = (templates_dir() / "anki" / "variants.js").read_text(encoding="utf-8")
    rng = random.Random(20)
    reviewer = make_reviewer(browser, d)
    reviewer.context.add_init_script(NO_LOCAL_STORAGE)
    try:
        for card in [one_answer_card(d)] + whole_pass_cards(d)[:2]:
            reviewer.front(card)
            assert script.strip() in card.question()  # the very script the card runs
            starts = [START + rng.randrange(60 * DAY) for _ in range(60)]
            pairs = [(t, t + rng.randint(*gap)) for t in starts for gap in REAL_GAPS]
            pairs += [(t, t + least) for t in starts for least, _ in REAL_GAPS]
            choices = reviewer.page.evaluate(TIME_CHOICES, [script, [t for pair in pairs for t in pair]])
            repeats = [pairs[i // 2] for i in range(0, len(choices), 2) if choices[i] == choices[i + 1]]
            assert repeats == [], [(b - a) / MINUTE for a, b in repeats[:5]]
            assert set(choices) == set(range(1, N + 1))
            anywhere = [(t, t + rng.randrange(MINUTE, 60 * DAY)) for t in starts * 20]
            choices = reviewer.page.evaluate(TIME_CHOICES, [script, [t for pair in anywhere for t in pair]])
            same = sum(choices[i] == choices[i + 1] for i in range(0, len(choices), 2))
            assert same / len(anywhere) < 1.5 / N, same  # 1 in N is what any choice from the time alone gives
    finally:
        reviewer.close()


def verdict_of(typed: float, answer: dict) -> str:
    """The verdict rule (verdict.js), written again: right within the tolerance, else the first mistake
    within it, else wrong."""
    if abs(typed - answer["value"]) <= answer["tolerance"]:
        return "right"
    for m in answer["mistakes"]:
        if abs(typed - m["value"]) <= answer["tolerance"]:
            return f"mistake:{m['name']}"
    return "wrong"


def test_verdicts_judge_the_variant_on_show(browser, d):
    """Typed on the front of a whole-pass card, checked on its back: the shown variant's key is right, its
    mistakes are named, and another variant's key is judged against the shown one's (wrong unless equal)."""
    reviewer = make_reviewer(browser, d)
    seen = set()
    try:
        for card in whole_pass_cards(d)[:2]:
            variants = variants_of(d, card)
            for r in range(3):
                in_place = r % 2 == 1
                reviewer.context.clock.set_fixed_time((START + r * DAY) / 1000)
                reviewer.front(card)
                k = int(reviewer.page.get_attribute(".problem", "data-variant"))
                record, other = variants[k - 1], variants[(k + r) % N]
                typed, expected = {}, {}
                for j, a in enumerate(record["answers"]):
                    choice = (r + j) % 3
                    if choice == 0:
                        text, value = key_text(a["value"], r + j), a["value"]
                    elif choice == 1 and a["mistakes"]:
                        value = a["mistakes"][0]["value"]
                        text = repr(value)
                    else:
                        value = other["answers"][j]["value"]
                        text = repr(value)
                    typed[a["name"]], expected[a["name"]] = text, verdict_of(value, a)
                for name, text in typed.items():
                    reviewer.page.locator(f'input[data-answer="{record["id"]}/{name}"]').fill(text)
                reviewer.back_in_place() if in_place else reviewer.back_by_reload()
                assert reviewer.page.get_attribute(".problem", "data-variant") == str(k)
                verdicts = read_verdicts(reviewer.page)
                assert sorted(verdicts) == sorted(f'{record["id"]}/{name}' for name in typed)
                for name, want in expected.items():
                    assert verdicts[f'{record["id"]}/{name}']["verdict"] == want, (record["id"], name, typed[name])
                    seen.add(want.split(":")[0])
    finally:
        reviewer.close()
    assert seen == {"right", "mistake", "wrong"}


def test_scripts_off_show_variant_1(browser, d):
    """Without scripts every card shows variant 1, front and back, with nothing of the other variants on
    show or loaded (they sit in an inert <template>)."""
    reviewer = make_reviewer(browser, d, scripts=False)
    try:
        for cards in list(d["cards"].values())[:2]:
            for card in cards:
                first = variants_of(d, card)[0]
                reviewer.front(card)
                front = shown(reviewer.page)
                reviewer.back_by_reload()
                back = shown(reviewer.page)
                for view, side in ((front, "front"), (back, "back")):
                    assert view["variant"] == "1" and view["variants"] == str(N)
                    assert setup_numbers(first) <= numbers_in(unescape(view["question"]))
                    assert len(view["pictures"]) == 1
                    text = reviewer.page.evaluate("document.body.innerText")
                    assert all(v["id"] not in text for v in variants_of(d, card)[1:])
                assert back["id"] == first["id"] and back["set"].endswith(f"numbers set 1 of {N}")
                assert front["boxes"] == []
    finally:
        reviewer.close()


@pytest.mark.parametrize("width,night", [(390, "nightMode"), (1280, "")])
def test_a_variant_reads_well(browser, d, tmp_path, width, night):
    """A dealt variant other than 1 on a phone and a desktop, light and night: its picture loads, nothing
    runs off the side; screenshots kept in the test's folder for a person to look at."""
    reviewer = make_reviewer(browser, d, width=width, night=night)
    try:
        card = max(whole_pass_cards(d), key=lambda c: len(variants_of(d, c)[0]["answers"]))
        for when in range(START, START + N * MINUTE, MINUTE):  # until a variant other than 1 is dealt
            reviewer.context.clock.set_fixed_time((when) / 1000)
            reviewer.front(card)
            if reviewer.page.get_attribute(".problem", "data-variant") != "1":
                break
        reviewer.page.wait_for_load_state("load")
        k = int(reviewer.page.get_attribute(".problem", "data-variant"))
        assert k != 1
        loaded = reviewer.page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
        assert loaded and no_horizontal_scroll(reviewer.page)
        reviewer.page.screenshot(path=str(tmp_path / f"variant-front-{width}-{night or 'light'}.png"), full_page=True)
        reviewer.back_by_reload()
        reviewer.page.wait_for_load_state("load")
        assert reviewer.page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
        assert no_horizontal_scroll(reviewer.page)
        assert re.search(rf"numbers set {k} of {N}", reviewer.page.evaluate("document.body.innerText"))
        reviewer.page.screenshot(path=str(tmp_path / f"variant-back-{width}-{night or 'light'}.png"), full_page=True)
    finally:
        reviewer.close()
