"""The `problems` and `solve` commands as a person runs them, in separate processes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from oracle import torch_pass

ROOT = Path(__file__).resolve().parent.parent


def run(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "practice", *args], capture_output=True, text=True, env={**os.environ, **(env or {})}
    )


def test_same_seed_same_bytes_whatever_the_hash_seed():
    outputs = {run("problems", "micrograd", "--seed", "7", "--json", env={"PYTHONHASHSEED": h}).stdout for h in ("0", "1", "4242")}
    assert len(outputs) == 1
    doc = json.loads(outputs.pop())
    assert doc["format"] == "backprop-practice.problems/1" and doc["seed"] == 7
    assert doc["generator"].startswith("backprop-practice ")


def test_problems_json_matches_pytorch_and_spec_mix():
    doc = json.loads(run("problems", "--json").stdout)
    kinds = {p["kind"] for p in doc["problems"]}
    assert kinds >= {"local", "expression", "neuron", "accumulate", "loss", "step", "numeric"}  # and newer kinds
    for p in doc["problems"]:
        oracle = torch_pass(p)
        for n in p["nodes"]:
            assert n["grad"] == pytest.approx(oracle[n["name"]][1], rel=1e-9, abs=1e-9)


def test_options_select_kind_difficulty_and_count():
    doc = json.loads(run("problems", "--kind", "neuron", "--kind", "local", "--difficulty", "hard", "--count", "3", "--json").stdout)
    assert [(p["kind"], p["difficulty"]) for p in doc["problems"]] == [("neuron", "hard")] * 3 + [("local", "hard")] * 3


def test_text_output_shows_answer_keys_with_display_rounding():
    out = run("problems", "--kind", "neuron", "--difficulty", "hard", "--count", "1").stdout
    assert "Answer key" in out and "Worked steps" in out and "Answers:" in out
    table = out.partition("Worked steps")[0]  # worked steps may print an operand with more places, so that it adds up
    numbers = [tok for tok in table.replace("−", "-").split() if tok.replace("-", "").replace(".", "").isdigit() and "." in tok]
    assert numbers and all(len(tok.split(".")[1]) <= 4 for tok in numbers)


def test_solve_json_is_the_same_document_with_one_problem():
    r = run("solve", "e = a*b; d = e + c; L = d*f", "a=2", "b=-3", "c=10", "f=-2", "--json")
    doc = json.loads(r.stdout)
    assert len(doc["problems"]) == 1
    p = doc["problems"][0]
    assert {a["name"]: a["value"] for a in p["answers"]} == {"a.grad": 6, "b.grad": -4, "c.grad": -2, "f.grad": 4}


def test_generated_program_solves_to_the_same_key():
    """A problem's `program` with its given values reproduces its record through `solve`."""
    doc = json.loads(run("problems", "--kind", "expression", "--kind", "neuron", "--count", "5", "--json").stdout)
    for p in doc["problems"]:
        values = [f"{n['name']}={n['data']!r}" for n in p["nodes"] if n["op"] is None and not n.get("constant")]
        solved = json.loads(run("solve", p["program"], *values, "--json").stdout)["problems"][0]
        assert solved["nodes"] == p["nodes"]
        assert solved["steps"] == p["steps"]


@pytest.mark.parametrize(
    "args,needle",
    [
        (["problems", "--count", "0"], "--count must be from 1"),
        (["problems", "--count", "10001"], "--count must be from 1 to 10000"),
        (["problems", "--kind", "nope"], "unknown kind 'nope'"),
        (["problems", "--difficulty", "extreme"], "allowed: easy, medium, hard"),
        (["problems", "--seed", "x"], "--seed"),
        (["problems", "no-such-spec"], "not found"),
        (["solve", "a*b", "a=2"], "b is not defined"),
        (["solve", "a*b", "a=one", "b=1"], "not a number"),
        (["solve", "log(a)", "a=-1"], "log"),
        (["nonsense"], "No such command"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(args, needle):
    r = run(*args)
    assert r.returncode != 0
    assert needle in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert r.stdout == ""


def test_a_reader_that_stops_early_ends_the_output_quietly():
    """`problems | head`: no traceback, no error line, status 0. (300 problems: 1.3 MB of JSON, 20 pipe buffers.)"""
    proc = subprocess.Popen([sys.executable, "-m", "practice", "problems", "--count", "300", "--kind", "expression", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.read(200)
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0
    assert err == b""


# ---------------------------------------------------------------- the terminal


def on_terminal(*args, columns=None, cwd=None, stdout_too=True):
    """Run the CLI with stderr (and stdout, unless stdout_too is False) on a pseudo-terminal.
    Returns (status, what the terminal showed, what was piped to stdout)."""
    import pty

    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("COLUMNS", None)
    if columns:
        env["COLUMNS"] = str(columns)  # what shutil.get_terminal_size reads first
    proc = subprocess.Popen([sys.executable, "-m", "practice", *args], stdin=subprocess.DEVNULL,
                            stdout=slave if stdout_too else subprocess.PIPE, stderr=slave, env=env, cwd=cwd)
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    piped = proc.stdout.read().decode() if proc.stdout else ""
    return proc.wait(timeout=120), shown.decode().replace("\r\n", "\n"), piped


def squeeze(text: str) -> str:
    return " ".join(text.split())


def test_problems_prose_wraps_to_80_columns_when_piped_and_only_between_words():
    args = ("problems", "--kind", "neuron", "--kind", "step", "--kind", "numeric", "--difficulty", "hard", "--count", "2")
    out = run(*args).stdout
    lines = out.splitlines()
    assert max(map(len, lines)) <= 80, max(lines, key=len)
    assert any(len(line) > 70 for line in lines)  # filled, not cut short
    from practice.generate import problem_set
    from practice.spec import choose
    from practice.text import render_problems

    chosen = choose(None, ["neuron", "step", "numeric"], "hard", 2, None)
    unwrapped = render_problems(problem_set(chosen.entries, chosen.seed), width=100_000)
    assert max(map(len, unwrapped.splitlines())) > 80  # there was something to wrap
    assert squeeze(out) == squeeze(unwrapped)  # only spaces became line breaks: no number is ever cut
    for problem in json.loads(run(*args, "--json").stdout)["problems"]:
        for word in problem["question"].split():
            assert word in out.split()


def test_problems_wrap_to_the_terminal_width():
    status, shown, _ = on_terminal("problems", "--kind", "neuron", "--difficulty", "hard", "--count", "1", columns=60)
    assert status == 0
    lines = shown.splitlines()
    program = [line for line in lines if line.startswith("  ") and " = " in line and "+=" not in line]
    assert max(len(line) for line in lines if line not in program) <= 60
    assert any(55 < len(line) <= 60 for line in lines)


def test_wrap_pieces_breaks_between_pieces_then_words_never_inside_one():
    from practice.text import wrap_pieces

    assert wrap_pieces(["a.grad += b × c", "= 2 × (−3)", "= −6"], 20, "  ", "      ") == (
        "  a.grad += b × c\n      = 2 × (−3)\n      = −6"
    )
    assert wrap_pieces(["x = −0.5014,", "y = 12.25"], 80, "Answers: ") == "Answers: x = −0.5014, y = 12.25"
    assert wrap_pieces(["−123456.7891"], 5) == "−123456.7891"  # a word wider than a line stays whole


def test_solve_graph_says_what_it_wrote_and_json_stays_json(tmp_path):
    target = tmp_path / "g.svg"
    r = run("solve", "(a*b + c)*f", "a=2", "b=-3", "c=10", "f=-2", "--graph", str(target), "--json")
    assert r.returncode == 0 and target.is_file()
    assert json.loads(r.stdout)["problems"][0]["answers"]  # stdout is the JSON document alone
    assert r.stderr.strip().splitlines() == [f"wrote {target}: the graph with every node's data and grad"]
    text = run("solve", "a*b", "a=2", "b=3", "--graph", str(tmp_path / "h.png"))
    assert text.returncode == 0 and "wrote " + str(tmp_path / "h.png") in text.stderr
    assert "Answer key" in text.stdout and "wrote" not in text.stdout


# A few problems of two kinds: the bar is the same bar whatever the size (the bundled deck is built elsewhere).
BAR_SPEC = "title: Bar\nseed: 3\nproblems:\n  - {kind: expression, difficulty: easy, count: 3}\n" \
           "  - {kind: neuron, difficulty: medium, count: 2}\n"


def test_deck_progress_bar_on_a_terminal_only(tmp_path):
    from practice.progress import progress

    (tmp_path / "bar.yaml").write_text(BAR_SPEC)
    status, shown, piped = on_terminal("deck", "bar.yaml", "-o", str(tmp_path / "t.apkg"), cwd=tmp_path, stdout_too=False)
    assert status == 0 and "Building deck" in shown and "100%" in shown  # the bar, on stderr
    assert piped.startswith("wrote ") and "Building" not in piped
    r = subprocess.run([sys.executable, "-m", "practice", "deck", "bar.yaml", "-o", str(tmp_path / "p.apkg")], capture_output=True,
                       text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0 and r.stderr == ""  # piped: no bar
    with progress(3, "Counting") as bar:  # under pytest stderr is no terminal: a bar that says nothing
        bar.update(3)


@pytest.mark.parametrize("args,label", [
    (["worksheet", "bar.yaml", "--versions", "3", "-o", "w.pdf"], "Making worksheets"),
    (["quiz", "bar.yaml", "-o", "q.xml"], "Drawing pictures"),
])
def test_worksheet_and_quiz_show_the_same_bar_on_a_terminal_only(tmp_path, args, label):
    (tmp_path / "bar.yaml").write_text(BAR_SPEC)
    status, shown, piped = on_terminal(*args, cwd=tmp_path, stdout_too=False)
    assert status == 0, shown
    assert label in shown and "100%" in shown and piped.strip() and label not in piped
    r = subprocess.run([sys.executable, "-m", "practice", *args], capture_output=True, text=True, cwd=tmp_path,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0 and r.stderr == "" and r.stdout.strip()


def test_progress_counted_advances_as_each_item_is_done(capsys):
    from practice.progress import counted, progress

    with progress(4, "Counting", show=True) as bar:
        assert list(counted(iter("abcd"), bar)) == list("abcd")
        assert bar.pos == 4
    err = capsys.readouterr().err
    assert "Counting" in err


def test_a_bundled_spec_name_wins_over_a_folder_of_that_name(tmp_path):
    """A learner who cloned micrograd into ./micrograd still gets the bundled spec by its name."""
    (tmp_path / "micrograd").mkdir()
    beside = subprocess.run([sys.executable, "-m", "practice", "problems", "micrograd", "--json"], capture_output=True,
                            text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert beside.returncode == 0, beside.stderr
    assert json.loads(beside.stdout) == json.loads(run("problems", "micrograd", "--json").stdout)
