"""The `practice` command's page, in a real browser (Debian's chromium through Playwright): a problem of every
kind and difficulty, each answer typed as its key (right), as each catalogued mistake's value (the verdict
names it) and far off (wrong); the summary's counts; keyboard only; no layout jump; phone and desktop, light
and dark; bad input refused with one line and nothing written."""

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from practice.kinds import KINDS
from browser import (CLICK, ENTER, READ_VERDICTS, TYPE_IN, VISIBLE, assert_verdict, browser, candidates,  # noqa: F401
                     far_off, key_text, no_horizontal_scroll, read_verdicts, type_in)

ROOT = Path(__file__).resolve().parent.parent
SPEC = "title: Every kind\nseed: 11\nproblems:\n" + "".join(
    f"  - {{kind: {k}, difficulty: {d}, count: 1}}\n" for k in KINDS for d in ("easy", "medium", "hard")
)
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
DROP_ROOT_POWERS = ["setpriv", "--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search"]


def run(*args, cwd=ROOT, prefix=()):
    return subprocess.run([*prefix, sys.executable, "-m", "practice", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("page")
    spec = folder / "every.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    out = folder / "every.html"
    r = run("practice", spec, "-o", out, "--variants", "1")  # one fixed problem each, as before variants
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"wrote {out}: {3 * len(KINDS)} problems,") and r.stderr == ""
    keys = json.loads(run("problems", spec, "--json").stdout)["problems"]
    return out, keys


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert errors == []


def test_one_self_contained_file(built):
    out, keys = built
    html = out.read_text(encoding="utf-8")
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
    assert html.count('<img src="data:image/svg+xml;base64,') == 2 * len(keys)
    assert html.count("<section class=\"problem\"") == len(keys)
    for p in keys:  # every answer box and verdict element carries the hook
        for a in p["answers"]:
            assert html.count(f'data-answer="{p["id"]}/{a["name"]}"') == 1
            assert html.count(f'data-verdict-for="{p["id"]}/{a["name"]}"') == 1
    data = json.loads(html.split('<script type="application/json" id="bp-data">')[1].split("</script>")[0])
    for p, shown in zip(keys, data["problems"]):  # the record's grading, not a recomputation
        assert shown["id"] == p["id"] and shown["kind"] == p["kind"]
        for a, s in zip(p["answers"], shown["answers"]):
            assert (s["value"], s["tolerance"]) == (a["value"], a["tolerance"])
            assert s["mistakes"] == a["mistakes"]


def test_same_bytes_for_the_same_spec_and_seed(built, tmp_path):
    out, _ = built
    again = tmp_path / "again.html"
    spec = out.parent / "every.yaml"
    assert run("practice", spec, "-o", again, "--seed", "11", "--variants", "1").returncode == 0
    assert again.read_bytes() == out.read_bytes()


def _current(page):
    return page.locator("section.problem.current")


def _verdicts(page, problem):
    return {a["name"]: page.locator(f'[data-verdict-for="{problem["id"]}/{a["name"]}"]') for a in problem["answers"]}


SUMMARY_ROWS = """which => Object.fromEntries([...document.querySelectorAll(`[data-summary="${which}"] tbody tr`)].map(
  row => [row.getAttribute("data-name"), [Number(row.getAttribute("data-right")), Number(row.getAttribute("data-tried"))]]))"""


def _summary_rows(page, which):
    """{row's data-name: (data-right, data-tried)} of a summary table, in one call."""
    return {name: tuple(counts) for name, counts in page.evaluate(SUMMARY_ROWS, which).items()}


def _expected_summary(keys, right_first):
    kinds, ops = Counter(), Counter()
    kinds_right, ops_right = Counter(), Counter()
    op_tags = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow"}
    for p, ok in zip(keys, right_first):
        kinds[p["kind"]] += 1
        kinds_right[p["kind"]] += ok
        for op in sorted({op_tags.get(n["op"], n["op"]) for n in p["nodes"] if n.get("op")}):
            ops[op] += 1
            ops_right[op] += ok
    return ({k: (kinds_right[k], n) for k, n in kinds.items()}, {k: (ops_right[k], n) for k, n in ops.items()})


SHARDS = 3  # the rounds split three ways: three tests of a bearable length (the module runs on one worker)
REAL_EVERY = 10  # in each round, every 10th problem is typed with Playwright's fill and checked and left with a
# real click or key press; the others, in one call, by TYPE_IN and the events a click and Enter send (CLICK, ENTER).
# After the check: every verdict, and whether the shown problem's answer (.reveal) is visible.
AFTER_CHECK = f"""() => [({READ_VERDICTS})(), ({VISIBLE})(document.querySelector("section.problem.current .reveal"))]"""
STEP = f"""([typed, enter]) => {{
  const section = document.querySelector("section.problem.current");
  const shown = [section.getAttribute("data-problem"), section.querySelectorAll("input[data-answer]").length];
  ({TYPE_IN})(typed);
  if (enter) ({ENTER})([...section.querySelectorAll("input[data-answer]")].pop());
  else ({CLICK})(document.querySelector('[data-action="check"]'));
  const after = ({AFTER_CHECK})();
  ({CLICK})(document.querySelector('[data-action="next"]'));
  return [...shown, ...after];
}}"""


@pytest.mark.parametrize("shard", range(SHARDS))
def test_every_verdict_on_every_kind(built, page, shard):
    """Round r types, for every answer, its r-th candidate (the key, then each mistake, then a far-off number;
    the key again once an answer has no more), checking with Enter or the button, moving on with Next. Each
    round starts afresh (reset, reload); shard k takes rounds k, k + SHARDS, ...: together, every round."""
    out, keys = built
    page.goto(out.as_uri())
    rounds = max(len(candidates(a)) for p in keys for a in p["answers"])
    seen = Counter()
    for r in range(shard, rounds, SHARDS):
        page.locator('[data-action="reset"]').click()
        page.reload()
        right_first = []
        for i, problem in enumerate(keys):
            typed, expected = {}, {}
            for j, answer in enumerate(problem["answers"]):
                options = candidates(answer)
                verdict, text = options[r] if r < len(options) else ("right", key_text(answer["value"], i + j))
                if verdict == "right":
                    text = key_text(answer["value"], i + j + r)
                typed[f'{problem["id"]}/{answer["name"]}'] = text
                expected[answer["name"]] = verdict
            enter = (i + r) % 2 == 1
            if i % REAL_EVERY == r % REAL_EVERY:  # real typing, a real click or key press
                section = _current(page)
                assert section.get_attribute("data-problem") == problem["id"]
                boxes = section.locator("input[data-answer]")
                assert boxes.count() == len(problem["answers"])
                type_in(page, typed, real=True)
                boxes.last.press("Enter") if enter else page.locator('[data-action="check"]').click()
                shown, revealed = page.evaluate(AFTER_CHECK)
                page.locator('[data-action="next"]').click()
            else:  # the same, in one call
                pid, count, shown, revealed = page.evaluate(STEP, [typed, enter])
                assert (pid, count) == (problem["id"], len(problem["answers"]))
            for answer in problem["answers"]:
                assert_verdict(shown[f'{problem["id"]}/{answer["name"]}'], problem, answer, expected[answer["name"]])
                seen[expected[answer["name"]].split(":")[0]] += 1
            assert revealed
            right_first.append(all(v == "right" for v in expected.values()))
        kinds, ops = _expected_summary(keys, right_first)
        assert _summary_rows(page, "kind") == kinds
        assert _summary_rows(page, "op") == ops
        total = page.locator('[data-summary="total"]')
        assert (int(total.get_attribute("data-right")), int(total.get_attribute("data-tried"))) == (
            sum(right_first), len(keys))
    # Together the rounds type every catalogued mistake of every answer once, and one far-off number each.
    verdicts = Counter(v.split(":")[0] for p in keys for a in p["answers"] for v, _ in candidates(a))
    n_mistakes = sum(len(a["mistakes"]) for p in keys for a in p["answers"])
    assert verdicts["mistake"] == n_mistakes and verdicts["wrong"] == sum(len(p["answers"]) for p in keys)
    assert n_mistakes > 0 and seen["right"] > 0


def test_keyboard_only_and_no_layout_jump(built, page):
    out, keys = built
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(out.as_uri())
        page.locator('[data-action="reset"]').click()
        page.reload()
        problem = keys[0]
        first = _current(page).locator("input[data-answer]").first
        first.focus()
        watched = [_current(page).locator("input[data-answer]").nth(i) for i in range(len(problem["answers"]))]
        watched.append(page.locator('[data-action="check"]'))
        before = [w.bounding_box() for w in watched]
        for j, answer in enumerate(problem["answers"]):
            page.keyboard.type(key_text(answer["value"], 1))
            if j + 1 < len(problem["answers"]):
                page.keyboard.press("Tab")
        page.keyboard.press("Enter")  # checks
        assert _verdicts(page, problem)[problem["answers"][0]["name"]].get_attribute("data-verdict") == "right"
        after = [w.bounding_box() for w in watched[:-1]] + [page.locator('[data-action="next"]').bounding_box()]
        assert after == before, width  # the boxes and the button stay put; the verdicts appear below them
        assert no_horizontal_scroll(page)
        page.keyboard.press("Enter")  # moves on
        assert _current(page).get_attribute("data-problem") == keys[1]["id"]
        assert page.evaluate("document.activeElement.getAttribute('data-answer')") == \
            f"{keys[1]['id']}/{keys[1]['answers'][0]['name']}"


def test_empty_or_unreadable_box_is_not_graded(built, page):
    out, keys = built
    page.goto(out.as_uri())
    page.locator('[data-action="reset"]').click()
    page.reload()
    problem = keys[0]
    box = _current(page).locator("input[data-answer]").first
    box.fill("two")
    page.locator('[data-action="check"]').click()
    verdict = _verdicts(page, problem)[problem["answers"][0]["name"]]
    assert verdict.get_attribute("data-verdict") is None and "Type a number" in verdict.inner_text()
    assert page.locator('[data-action="next"]').is_hidden()
    assert page.locator('[data-summary="total"]').get_attribute("data-tried") == "0"


def test_resumes_at_the_first_unchecked_problem(built, page):
    out, keys = built
    page.goto(out.as_uri())
    page.locator('[data-action="reset"]').click()
    page.reload()
    for a in keys[0]["answers"]:
        _current(page).locator(f'input[data-answer="{keys[0]["id"]}/{a["name"]}"]').fill("12345")
    page.locator('[data-action="check"]').click()
    page.reload()
    assert _current(page).get_attribute("data-problem") == keys[1]["id"]
    assert page.locator('[data-summary="total"]').get_attribute("data-right") == "0"


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots(built, browser, tmp_path, width, scheme):
    """Phone and desktop, light and dark: no sideways scrolling, the text on its background readable.
    The pictures are written for a person to look at (kept in the test's temporary folder)."""
    out, keys = built
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    page.goto(out.as_uri())
    page.locator('[data-action="reset"]').click()
    page.reload()
    problem = keys[0]
    for j, a in enumerate(problem["answers"]):
        m = a["mistakes"]
        text = repr(m[0]["value"]) if j == 0 and m else ("1234" if j == 1 else key_text(a["value"], j))
        _current(page).locator(f'input[data-answer="{problem["id"]}/{a["name"]}"]').fill(text)
    page.locator('[data-action="check"]').click()
    assert no_horizontal_scroll(page)
    colours = page.evaluate("[getComputedStyle(document.body).color, getComputedStyle(document.body).backgroundColor]")
    assert colours[0] != colours[1]
    dark = page.evaluate("document.body.classList.contains('nightMode')")
    assert dark == (scheme == "dark")
    page.screenshot(path=str(tmp_path / f"page-{width}-{scheme}.png"), full_page=True)
    assert (tmp_path / f"page-{width}-{scheme}.png").stat().st_size > 10_000
    context.close()


# ---------------------------------------------------------------- variants: a wrong answer comes back with other numbers

VARIANTS = 3


@pytest.fixture(scope="module")
def built_variants(tmp_path_factory):
    """The worksheet's five problems with 3 variants each (the default), and their records."""
    from practice.exercises import exercise_set
    from practice.spec import choose

    out = tmp_path_factory.mktemp("variants") / "week.html"
    r = run("practice", "worksheet", "--seed", "7", "-o", out)
    assert r.returncode == 0, r.stderr
    spec = choose("worksheet", seed=7)
    exercises = exercise_set(spec.entries, spec.seed, VARIANTS)
    assert r.stdout.startswith(f"wrote {out}: {len(exercises)} problems of {VARIANTS} variants ({len(exercises) * VARIANTS} in all)")
    return out, exercises


def _answer(page, problem, right: bool):
    """Type every answer of the shown problem: its own key, or a number far from all; then Check."""
    for j, a in enumerate(problem["answers"]):
        text = key_text(a["value"], j) if right else repr(far_off(a))
        _current(page).locator(f'input[data-answer="{problem["id"]}/{a["name"]}"]').fill(text)
    page.locator('[data-action="check"]').click()
    return read_verdicts(page)


def _shown(page, exercises):
    """(exercise index, variant record) of the shown section, read from its data attributes."""
    section = _current(page)
    exercise, variant = section.get_attribute("data-exercise"), int(section.get_attribute("data-variant"))
    (i,) = [i for i, e in enumerate(exercises) if e[0]["id"] == exercise]
    problem = exercises[i][variant - 1]
    assert section.get_attribute("data-problem") == problem["id"] and problem["variant"] == variant
    assert section.get_attribute("data-variants") == str(VARIANTS)
    assert f"numbers set {variant} of {VARIANTS}" in section.locator(".meta").inner_text()
    return i, problem


def test_a_problem_answered_wrong_comes_back_later_with_other_numbers_and_its_own_key(built_variants, page):
    out, exercises = built_variants
    page.goto(out.as_uri())
    page.locator('[data-action="reset"]').click()
    page.reload()
    wrong = {0: 2}  # exercise 0 answered wrong at its first two showings
    deal, seen = [], {}
    for step in range(len(exercises) + 2):
        i, problem = _shown(page, exercises)
        deal.append((i, problem["variant"]))
        question = _current(page).locator(".question").inner_text()
        if i in seen:  # back again: other numbers, the same structure
            assert question != seen[i] and problem["question"] != exercises[i][0]["question"]
        seen[i] = question
        right = wrong.get(i, 0) == 0
        if not right:
            wrong[i] -= 1
            if problem["variant"] == 2:  # the first variant's key is no answer to the second (unless equal)
                first = exercises[i][0]
                differs = [(a, b) for a, b in zip(first["answers"], problem["answers"]) if abs(a["value"] - b["value"]) > b["tolerance"]]
                assert differs
                typed = {b["name"]: key_text(a["value"], 0) for a, b in differs}
                for b in problem["answers"]:
                    text = typed.get(b["name"], repr(far_off(b)))
                    _current(page).locator(f'input[data-answer="{problem["id"]}/{b["name"]}"]').fill(text)
                page.locator('[data-action="check"]').click()
                shown = read_verdicts(page)
                for _, b in differs:  # graded, and not right
                    assert shown[f'{problem["id"]}/{b["name"]}']["verdict"] not in (None, "right")
            else:
                shown = _answer(page, problem, right=False)
                assert all(shown[f'{problem["id"]}/{a["name"]}']["verdict"] == "wrong" for a in problem["answers"])
        else:
            shown = _answer(page, problem, right=True)
            for a in problem["answers"]:  # judged by the shown variant's own key, mistakes and tolerance
                assert_verdict(shown[f'{problem["id"]}/{a["name"]}'], problem, a, "right")
        page.locator('[data-action="next"]').click()
    # Exercise 0, wrong at variant 1, is back after three other problems as variant 2; wrong again, it comes
    # back as variant 3 once nothing else is left.
    assert deal == [(0, 1), (1, 1), (2, 1), (3, 1), (0, 2), (4, 1), (0, 3)]
    assert _shown(page, exercises) == (0, exercises[0][0])  # a new round: variants come round again
    total = page.locator('[data-summary="total"]')
    assert (total.get_attribute("data-right"), total.get_attribute("data-tried")) == (str(len(exercises) - 1), str(len(exercises)))
    line = total.inner_text()
    assert f"Right first time: {len(exercises) - 1} of {len(exercises)} problems checked." in line
    assert f"On this page: {len(exercises)} of {len(exercises)} done." in line
    kinds = _summary_rows(page, "kind")
    assert sum(tried for _, tried in kinds.values()) == len(exercises)  # exercises, not showings or variants


def test_without_scripts_a_variants_page_shows_each_problem_once(built_variants, browser):
    out, exercises = built_variants
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(out.as_uri())
    visible = page.locator("section.problem:visible")
    assert visible.count() == len(exercises)
    assert [visible.nth(i).get_attribute("data-problem") for i in range(visible.count())] == [e[0]["id"] for e in exercises]
    context.close()


# Bad input to `practice` (an unknown spec, -o not .html, a missing folder, a bad seed) is with the other
# exporters' in test_exporter_input.py; here, what needs more than one argument list.


def test_unwritable_folder(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        r = run("practice", "-o", folder / "page.html", prefix=DROP_ROOT_POWERS if IS_ROOT else ())
    finally:
        folder.chmod(0o755)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and "not writable" in lines[0], r.stderr
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("variants,needle", [("0", "from 1 to 32"), ("33", "from 1 to 32"), ("32", "fewer --variants")])
def test_bad_variants_are_one_line_and_write_nothing(tmp_path, variants, needle):
    spec = tmp_path / "mid.yaml"
    spec.write_text("problems:\n  - {kind: local, difficulty: easy, count: 20}\n", encoding="utf-8")
    r = run("practice", spec, "--variants", variants, "-o", tmp_path / "mid.html", cwd=tmp_path)
    assert r.returncode == 2 and needle in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mid.yaml"]


def test_too_many_problems_for_a_page(tmp_path):
    spec = tmp_path / "big.yaml"
    spec.write_text("problems:\n  - {kind: local, difficulty: easy, count: 501}\n", encoding="utf-8")
    r = run("practice", spec, "-o", tmp_path / "big.html", cwd=tmp_path)
    assert r.returncode == 2 and "at most 500" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.yaml"]
