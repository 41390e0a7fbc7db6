"""The `problems` and `solve` commands as a person runs them, in separate processes."""

import json
import os
import subprocess
import sys

import pytest

from oracle import torch_pass


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
    assert kinds == {"local", "expression", "neuron", "accumulate", "loss", "step", "numeric"}
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
    """`problems | head`: no traceback, no error line, status 0."""
    proc = subprocess.Popen([sys.executable, "-m", "practice", "problems", "--count", "3000", "--kind", "expression", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.read(200)
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0
    assert err == b""
