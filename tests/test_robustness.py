"""Robustness: bad input, failures and interruption never hurt the user.

Every bad input gets one line on stderr that says what is wrong and how to fix it, a non-zero exit
and no traceback; specs are checked before any work; outputs are written whole or not at all;
Ctrl-C exits 130 with one line and leaves no temporary file.
"""

import math
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from practice import cli
from practice.atomic import _signals_held, atomic_path, atomic_paths, check_writable, write_bytes
from practice.errors import Interrupted, UserError
from practice.solve import solve_program
from practice.spec import MAX_SEED, MAX_SPEC_BYTES, Spec, load

ROOT = Path(__file__).resolve().parent.parent
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
# As root, permission bits do not stop reads or writes. Dropping the two capabilities that let root
# ignore them makes chmod 000 and chmod 555 bite again, for real, as they would for any user.
DROP_ROOT_POWERS = ["setpriv", "--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search"]
KINDS = "local, expression, neuron, accumulate, loss, step, numeric"
ONE_SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


# ------------------------------------------------------------------ helpers


def invoke(capsys, *args):
    """Run the CLI's main() in this process, as the console script does; (exit status, stdout, stderr)."""
    pipe = signal.getsignal(signal.SIGPIPE)
    try:
        cli.main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        signal.signal(signal.SIGPIPE, pipe)
    out, err = capsys.readouterr()
    return code, out, err


def run(*args, env=None, prefix=(), **kwargs):
    """Run the real command in a separate process."""
    return subprocess.run(
        [*prefix, sys.executable, "-m", "practice", *map(str, args)],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, **(env or {})}, timeout=120, **kwargs,
    )


def assert_one_line_error(code, out, err, *needles):
    assert code not in (0, None), (out, err)
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert out == ""
    return lines[0]


def spec_file(tmp_path, text, name="spec.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def bad_spec(capsys, tmp_path, text, *needles):
    path = spec_file(tmp_path, text)
    return assert_one_line_error(*invoke(capsys, "problems", path), *needles)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def needs_dropped_root_powers():
    if IS_ROOT and shutil.which("setpriv") is None:
        pytest.skip("running as root, where permissions do not apply, and setpriv (util-linux) is missing to drop that power")
    return DROP_ROOT_POWERS if IS_ROOT else []


# ------------------------------------------------------------------ finding and reading the spec


def test_missing_spec(capsys, tmp_path):
    line = assert_one_line_error(*invoke(capsys, "problems", tmp_path / "nope.yaml"), "not found")
    assert "micrograd" in line and "worksheet" in line  # what to give instead


def test_spec_that_is_a_folder(capsys, tmp_path):
    assert_one_line_error(*invoke(capsys, "problems", tmp_path), "is a folder")


def test_spec_that_is_a_pipe(capsys, tmp_path):
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    assert_one_line_error(*invoke(capsys, "problems", fifo), "not a regular file")  # and no hang reading it


def test_spec_name_too_long_for_the_file_system(capsys):
    assert_one_line_error(*invoke(capsys, "problems", "x" * 5000 + ".yaml"), "spec")


def test_unreadable_spec(tmp_path):
    prefix = needs_dropped_root_powers()
    folder = tmp_path / "specs"
    folder.mkdir()
    path = spec_file(folder, "problems: [{kind: local}]\n")
    path.chmod(0)
    r = run("problems", path, prefix=prefix)
    assert_one_line_error(r.returncode, r.stdout, r.stderr, "cannot read spec", "Permission denied")


@pytest.mark.parametrize(
    "text,needles",
    [
        ("problems:\n  - {kind: expression\n", ["line 3, column 1", "YAML syntax error", "line 2"]),
        ("problems:\n  - kind: local\n   count: 2\n", ["line 3", "YAML syntax error"]),
        ("problems: [{kind: local}]\ntitle: 'unclosed\n", ["YAML syntax error"]),
        ("\tproblems: []\n", ["line 1", "YAML syntax error"]),
    ],
)
def test_yaml_syntax_errors_give_line_and_column(capsys, tmp_path, text, needles):
    bad_spec(capsys, tmp_path, text, *needles)


@pytest.mark.parametrize(
    "text,needle",
    [
        ("- {kind: local}\n", "must be a mapping with keys such as title, seed and problems, not a list"),
        ("just some words\n", "must be a mapping"),
        ("42\n", "must be a mapping"),
        ("", "is empty"),
        ("# only a comment\n\n", "is empty"),
        ("---\n...\n", "is empty"),
    ],
)
def test_spec_that_is_not_a_mapping_or_is_empty(capsys, tmp_path, text, needle):
    bad_spec(capsys, tmp_path, text, needle)


@pytest.mark.parametrize(
    "data,needle",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8 text (byte 0x89 on line 1)"),
        (b"problems:\n  - {kind: local}\ntitle: caf\xe9\n", "not UTF-8 text (byte 0xe9 on line 3)"),
        (b"problems: [{kind: local}]\n\x00\x01\x02", "not a text file (a NUL byte on line 2)"),
        (b"problems: [{kind: local}]\ntitle: \"a\x07b\"\n", "line 2: the character U+0007 is not allowed"),
    ],
)
def test_binary_specs(capsys, tmp_path, data, needle):
    bad_spec(capsys, tmp_path, data, needle)


def test_spec_too_large(capsys, tmp_path):
    text = "problems: [{kind: local}]\n" + "# padding\n" * (MAX_SPEC_BYTES // 10 + 1)
    bad_spec(capsys, tmp_path, text, "larger than")


# ------------------------------------------------------------------ the schema, with line numbers


def test_unknown_kind_names_line_key_and_allowed_values(capsys, tmp_path):
    text = (
        "title: Mine\n"
        "seed: 3\n"
        "problems:\n"
        "  - {kind: local, count: 2}\n"
        "  - kind: expression\n"
        "    difficulty: easy\n"
        "  - kind: expresion\n"
        "    count: 1\n"
    )
    line = bad_spec(capsys, tmp_path, text, "line 7", "problems[2].kind", "unknown kind 'expresion'", KINDS)
    assert "did you mean expression?" in line


@pytest.mark.parametrize(
    "text,needles",
    [
        ("titel: x\nproblems: [{kind: local}]\n", ["line 1", "unknown key 'titel'", "did you mean title?", "allowed keys"]),
        ("problems:\n  - kind: local\n    knd: 3\n", ["line 3", "problems[0] has an unknown key 'knd'", "kind, difficulty, count"]),
        ("problems: [{kind: local}]\ndeck: {nmae: X}\n", ["line 2", "deck has an unknown key 'nmae'", "allowed keys in deck: name"]),
        ("problems:\n  - {kind: local, difficulty: extreme}\n", ["line 2", "problems[0].difficulty", "unknown difficulty 'extreme'", "easy, medium, hard"]),
        ("problems:\n  - {difficulty: easy}\n", ["line 2", "problems[0].kind is missing", KINDS]),
        ("title: Mine\n", ["problems is missing"]),
        ("problems: []\n", ["line 1", "problems is empty"]),
        ("problems:\n  - expression\n", ["line 2", "problems[0] must be a mapping", "not 'expression'"]),
        ("problems:\n  - [kind, local]\n", ["problems[0] must be a mapping"]),
        ("problems: expression\n", ["line 1", "problems must be a list, not 'expression'"]),
        ("problems: [{kind: local}]\ntitle: 5\n", ["line 2", "title must be text, not 5"]),
        ("problems: [{kind: local}]\ntitle: !!binary aGVsbG8=\n", ["title must be text"]),
        ("problems: [{kind: local}]\ndeck: 5\n", ["deck must be a mapping, not 5"]),
        ("problems: [{kind: local}]\ndeck:\n", ["deck must be a mapping, not None"]),
        ("problems: [{kind: 3}]\n", ["problems[0].kind must be text, not 3"]),
        ("problems: [{kind: local}]\nworksheet: {minutes: 0}\n", ["worksheet.minutes must be from 1 to"]),
        ("problems: [{kind: local}]\nworksheet: {minutes: forty}\n", ["worksheet.minutes must be a whole number"]),
        ("problems: [{kind: local}]\n? [a, b]\n: 1\n", ["line 2, column 3", "unhashable key", "plain text"]),
        ("problems: [{kind: local}]\nseed: 2024-13-01\n", ["cannot be read", "quote it"]),
        ("problems: !!python/object/apply:os.system [ls]\n", ["line 1", "constructor for the tag", "plain values"]),
    ],
)
def test_schema_errors_name_the_key_and_the_allowed_values(capsys, tmp_path, text, needles):
    bad_spec(capsys, tmp_path, text, *needles)


@pytest.mark.parametrize(
    "value,needle",
    [
        ("0", "problems[0].count must be from 1 to 10000, not 0"),
        ("-3", "must be from 1 to 10000, not -3"),
        ("10001", "must be from 1 to 10000, not 10001"),
        ("99999999999999999999999", "must be from 1 to 10000"),
        ("many", "must be a whole number from 1 to 10000, not 'many'"),
        ("1.5", "must be a whole number from 1 to 10000, not 1.5"),
        ("1e9", "must be a whole number from 1 to 10000, not '1e9'"),
        ("true", "must be a whole number from 1 to 10000, not True"),
        ("", "must be a whole number from 1 to 10000, not None"),
    ],
)
def test_spec_counts(capsys, tmp_path, value, needle):
    bad_spec(capsys, tmp_path, f"problems:\n  - kind: local\n    count: {value}\n", "line 3", needle)


def test_spec_counts_add_up_past_the_maximum(capsys, tmp_path):
    bad_spec(capsys, tmp_path, "problems:\n  - {kind: local, count: 6000}\n  - {kind: step, count: 5000}\n",
             "add up to 11000", "at most 10000")


@pytest.mark.parametrize("value", ["-1", str(MAX_SEED + 1), "1.5", "abc", "true", "[1]"])
def test_spec_seeds(capsys, tmp_path, value):
    bad_spec(capsys, tmp_path, f"problems: [{{kind: local}}]\nseed: {value}\n", "line 2", f"seed must be", f"0 to {MAX_SEED}")


def test_duplicate_keys_are_refused_with_both_lines(capsys, tmp_path):
    bad_spec(capsys, tmp_path, "seed: 1\nproblems: [{kind: local}]\nseed: 2\n", "line 3", "'seed' is given twice (first on line 1)")
    bad_spec(capsys, tmp_path, "problems:\n  - {kind: local, count: 1, count: 2}\n", "line 2", "'count' is given twice")


def test_merge_keys_are_not_duplicates(tmp_path):
    path = spec_file(tmp_path, "problems:\n  - &e {kind: local, difficulty: easy}\n  - {<<: *e, difficulty: hard, count: 2}\n")
    assert [(e["kind"], e["difficulty"], e["count"]) for e in load(str(path)).entries] == [("local", "easy", 1), ("local", "hard", 2)]


def test_billion_laughs_is_refused_quickly(capsys, tmp_path):
    anchors = ['&a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        anchors.append(f"&{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    text = "problems: [{kind: local}]\ntitle: [" + ", ".join(anchors) + "]\n"  # 400 bytes; 9**9 strings expanded
    assert len(text) < 1000
    start = time.perf_counter()
    bad_spec(capsys, tmp_path, text, "more than 100,000 values", "aliases")
    assert time.perf_counter() - start < 2


def test_self_referencing_alias_is_refused(capsys, tmp_path):
    bad_spec(capsys, tmp_path, "problems: &p [*p]\n", "aliases")


def test_deep_nesting_is_refused(capsys, tmp_path):
    bad_spec(capsys, tmp_path, "problems: " + "[" * 20000 + "]" * 20000 + "\n", "nested too deeply")


@pytest.mark.parametrize("given", ["../concepts.yaml", "/etc/hostname", "~/concepts.yaml", "sub/../../x.yaml", "''"])
def test_concepts_path_may_not_escape_the_spec_folder(capsys, tmp_path, given):
    (tmp_path / "concepts.yaml").write_text("cards: []\n")
    folder = tmp_path / "specs"
    folder.mkdir()
    path = spec_file(folder, f"problems: [{{kind: local}}]\nconcepts: {given}\n")
    assert_one_line_error(*invoke(capsys, "problems", path), "line 2", "in this spec's folder")


def test_missing_concepts_file(capsys, tmp_path):
    bad_spec(capsys, tmp_path, "problems: [{kind: local}]\nconcepts: cards/concepts.yaml\n", "line 2", "not found")


def test_odd_but_valid_specs_load(tmp_path):
    """A byte-order mark, Unicode text, comments, flow and block style, a concepts file below the spec."""
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "c.yaml").write_text("cards: []\n")
    path = spec_file(
        tmp_path,
        "\ufeff# Übungen ✓\ntitle: \"Rückwärts 🧠 — ∂L/∂x\"\nconcepts: cards/c.yaml\nseed: 9223372036854775807\n"
        "problems:\n  - {kind: local, difficulty: easy}  # one\n  - kind: step\n    count: 2\n",
    )
    spec = load(str(path))
    assert isinstance(spec, Spec) and spec.title.startswith("Rückwärts") and spec.seed == MAX_SEED
    assert spec.concepts == tmp_path / "cards" / "c.yaml" and spec.total == 3


def test_spec_is_checked_before_any_work(capsys, tmp_path, monkeypatch):
    """A mistake in the last entry stops the run before a single problem is made."""
    import practice.generate

    made = []
    monkeypatch.setattr(practice.generate, "make_problem", lambda *a: made.append(a))
    bad_spec(capsys, tmp_path, "problems:\n  - {kind: local, count: 50}\n  - {kind: nope}\n", "problems[1].kind")
    assert made == []


# ------------------------------------------------------------------ command-line options


@pytest.mark.parametrize(
    "args,needles",
    [
        (["--count", "0"], ["--count must be from 1 to 10000, not 0"]),
        (["--count", "-5"], ["--count must be from 1 to 10000, not -5"]),
        (["--count", "10001"], ["--count must be from 1 to 10000"]),
        (["--count", "abc"], ["'abc' is not a valid integer", "give a whole number from 1 to 10000"]),
        (["--count", "2.5"], ["'2.5' is not a valid integer", "1 to 10000"]),
        (["--kind", "local", "--kind", "step", "--count", "6000"], ["12000 problems", "at most 10000", "lower --count"]),
        (["--seed", "1.5"], ["'1.5' is not a valid integer", f"give a whole number from 0 to {MAX_SEED}"]),
        (["--seed", "abc"], ["'abc' is not a valid integer", f"0 to {MAX_SEED}"]),
        (["--seed", "-1"], [f"--seed must be a whole number from 0 to {MAX_SEED}, not -1"]),
        (["--seed", str(2**63)], [f"not {2**63}"]),
        (["--seed", ""], ["--seed"]),
        (["--kind", "nope"], ["unknown kind 'nope'", KINDS]),
        (["--kind", "Local"], ["unknown kind 'Local'", "did you mean local?"]),
        (["--difficulty", "extreme"], ["unknown difficulty 'extreme'", "easy, medium, hard"]),
        (["--format", "pdf"], ["No such option", "--help"]),
        (["--count"], ["requires an argument"]),
    ],
)
def test_problems_options(capsys, args, needles):
    assert_one_line_error(*invoke(capsys, "problems", *args), *needles)


def test_largest_seed_works(capsys):
    code, out, err = invoke(capsys, "problems", "--kind", "local", "--seed", MAX_SEED, "--json")
    assert code == 0 and err == "" and f'"seed": {MAX_SEED}' in out


def test_unknown_command(capsys):
    assert_one_line_error(*invoke(capsys, "nonsense"), "No such command")


# ------------------------------------------------------------------ solve


@pytest.mark.parametrize(
    "args,needles",
    [
        (["a*b", "a=2"], ["b is not defined", "b=2"]),
        (["a*b", "a=one", "b=1"], ["a=one is not a number", "a=2"]),
        (["a*b", "a=1\n2", "b=1"], ["a='1\\n2' is not a number"]),
        (["a*b", "a=", "b=1"], ["a= is not a number"]),
        (["a*b", "a=nan", "b=1"], ["finite"]),
        (["a*b", "a=1e999", "b=1"], ["finite"]),
        (["a*b", "=1", "b=1"], ["is not NAME=VALUE"]),
        (["a*b", "a", "b=1"], ["is not NAME=VALUE"]),
        (["a*b", "a=1", "a=2", "b=1"], ["a is given twice"]),
        (["a*b", "a=1", "b=2", "c=3"], ["c is given but not used"]),
        (["log(-1)"], ["math error", "log"]),
        (["log(a)", "a=0"], ["math error", "log"]),
        (["a/0", "a=1"], ["math error", "division by zero"]),
        (["a/b", "a=1", "b=0"], ["division by zero"]),
        (["a**-1", "a=0"], ["divides by zero"]),
        (["a**0.5", "a=-1"], ["not a real number"]),
        (["exp(a)", "a=1000"], ["too large for a float"]),
        (["a*1e308*10", "a=10"], ["math error", "not a finite number"]),
        (["a*" + "9" * 400, "a=1"], ["too large for a float"]),
        (["a*" + "9" * 5000, "a=1"], ["a number in the program has too many digits"]),
        (["a**b", "a=1", "b=2"], ["exponent after ** must be a number"]),
        (["import os"], ["not allowed"]),
        (["__import__('os').system('true')"], ["not allowed"]),
        (["a.b", "a=1"], ["attribute access"]),
        (["a*(b", "a=1", "b=2"], ["syntax error"]),
        ([""], ["the program is empty"]),
        ([" ; ; "], ["the program is empty"]),
        (["a"], ["a is not defined"]),
        (["a", "a=1"], ["single value"]),
        (["é*b", "b=2"], ["the character 'é' (U+00E9)"]),
        (["a*b", "é=1", "b=2"], ["'é=1' is not NAME=VALUE"]),
        (["a\u200bb", "a=1"], ["U+200B"]),
        (["+".join(["a"] * 2500), "a=1"], ["too long: at most 2000"]),
        (["-" * 90000 + "a", "a=1"], ["No such option", "goes after --"]),
        (["--", "-" * 90000 + "a", "a=1"], ["nested too deeply"]),
        (["--", "-(" * 300 + "a" + ")" * 300, "a=1"], ["syntax error"]),
        (["x" * 200_000], ["too long: at most 100,000 characters"]),
        (["a*b", "a=1", "b=2", "--graph", "out.pdf"], ["give a file name ending in .svg or .png"]),
    ],
)
def test_solve_bad_input(capsys, args, needles):
    line = assert_one_line_error(*invoke(capsys, "solve", *args), *needles)
    assert len(line) <= 420  # a huge argument is quoted short


def test_solve_long_but_legal_programs_work(capsys):
    """Deep nesting up to the operation limit does not hit Python's recursion limit."""
    code, out, err = invoke(capsys, "solve", "+".join(["a"] * 999), "a=1")
    assert code == 0 and err == "" and "a.grad = 999" in out
    chain = "; ".join(f"x{i + 1} = x{i}*a" if i else "x1 = a*a" for i in range(600))
    code, out, err = invoke(capsys, "solve", chain, "a=1", "--json")
    assert code == 0 and err == ""


def test_solve_takes_what_people_copy_from_a_question():
    """The question text writes × − and ^: pasted into solve they mean * - and **."""
    pasted = solve_program("h = a + c; L = b × h^2; M = L ÷ c", ["a=\u22122", "b=2", "c=4"])
    typed = solve_program("h = a + c; L = b * h**2; M = L / c", ["a=-2", "b=2", "c=4"])
    assert pasted["nodes"] == typed["nodes"] and pasted["steps"] == typed["steps"]


def test_solve_graph_into_a_missing_folder(capsys, tmp_path):
    args = ("solve", "a*b", "a=1", "b=2", "--graph", tmp_path / "no" / "g.svg")
    assert_one_line_error(*invoke(capsys, *args), "folder", "does not exist")
    assert not (tmp_path / "no").exists()


def test_solve_graph_onto_a_folder_or_device(capsys, tmp_path):
    assert_one_line_error(*invoke(capsys, "solve", "a*b", "a=1", "b=2", "--graph", tmp_path), "is a directory")
    (tmp_path / "d.svg").mkdir()
    assert_one_line_error(*invoke(capsys, "solve", "a*b", "a=1", "b=2", "--graph", tmp_path / "d.svg"), "is a directory")
    if Path("/dev/null").exists():
        link = tmp_path / "null.svg"
        link.symlink_to("/dev/null")
        assert_one_line_error(*invoke(capsys, "solve", "a*b", "a=1", "b=2", "--graph", link), "not a regular file")
        assert Path("/dev/null").is_char_device()


def test_solve_graph_into_an_unwritable_folder(tmp_path):
    prefix = needs_dropped_root_powers()
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        r = run("solve", "a*b", "a=1", "b=2", "--graph", folder / "g.svg", prefix=prefix)
    finally:
        folder.chmod(0o755)
    assert_one_line_error(r.returncode, r.stdout, r.stderr, "not writable")
    assert list(folder.iterdir()) == []


def test_solve_graph_without_graphviz(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere
    line = assert_one_line_error(*invoke(capsys, "solve", "a*b", "a=1", "b=2", "--graph", tmp_path / "g.svg"))
    assert "dot" in line.lower() or "graphviz" in line.lower()
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ the process as a whole


def test_real_process_one_line_errors():
    for args, needle in [
        (["problems", "nope.yaml"], "not found"),
        (["problems", "--seed", "1.5"], "not a valid integer"),
        (["solve", "log(-1)"], "math error"),
    ]:
        r = run(*args)
        assert_one_line_error(r.returncode, r.stdout, r.stderr, needle)
        assert r.returncode == 2


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_full_disk_on_stdout_is_one_line():
    with open("/dev/full", "w") as full:
        r = subprocess.run([sys.executable, "-m", "practice", "problems", "--kind", "local", "--count", "3"],
                           stdout=full, stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 1
    assert r.stderr.splitlines() == ["error: cannot write the output: No space left on device"]


def test_an_internal_error_is_still_one_line(capsys, monkeypatch):
    import practice.generate

    def broken(*args):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(practice.generate, "make_problem", broken)  # what every problem set is made by
    line = assert_one_line_error(*invoke(capsys, "problems", "--kind", "local"), "internal error", "RuntimeError: boom second line")
    assert "BACKPROP_PRACTICE_DEBUG" in line


def _no_ignored_sigint():
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # whatever the test runner inherited


@pytest.mark.parametrize("signum,status,message", [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")])
def test_interrupting_a_long_run(signum, status, message):
    proc = subprocess.Popen(
        [sys.executable, "-m", "practice", "problems", "--count", "10000", "--kind", "expression", "--json"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT, preexec_fn=_no_ignored_sigint,
    )
    time.sleep(1.2)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == status
    assert err == f"{message}\n"


SLOW_WRITER = """
import sys, time
import click
from practice import cli
from practice.atomic import atomic_path

@cli.cli.command("slow-write")
@click.argument("out")
def slow_write(out):
    with atomic_path(out) as tmp:
        tmp.write_text("half a fi")
        print("writing", flush=True)
        time.sleep(60)
        tmp.write_text("the whole new file")

cli.main()
"""


def test_ctrl_c_while_writing_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("the old file")
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITER, "slow-write", str(target)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, preexec_fn=_no_ignored_sigint,
    )
    assert proc.stdout.readline() == "writing\n"
    assert len(leftovers(tmp_path)) == 1  # the temporary file is there, beside the target, while writing
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and err == "interrupted\n"
    assert target.read_text() == "the old file"
    assert leftovers(tmp_path) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


# ------------------------------------------------------------------ atomic writes


def test_atomic_success_replaces_the_target_from_a_temporary_beside_it(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    target.chmod(0o640)
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".out.bin.") and tmp.name.endswith(".tmp")
        assert os.stat(tmp).st_dev == os.stat(tmp_path).st_dev  # same file system: the rename is atomic
        tmp.write_bytes(b"new")
        assert target.read_bytes() == b"old"  # nothing changes until the block succeeds
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # an existing file keeps its permissions
    assert leftovers(tmp_path) == []


def test_atomic_new_file_gets_ordinary_permissions(tmp_path):
    write_bytes(tmp_path / "new.txt", b"x")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o666 & ~mask


@pytest.mark.parametrize("error", [RuntimeError("failed"), KeyboardInterrupt(), Interrupted(signal.SIGINT), UserError("bad")])
def test_atomic_failure_leaves_target_untouched_and_no_temporary(tmp_path, error):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(type(error)):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise error
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == [] and [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_atomic_failure_without_an_existing_target_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic_path(tmp_path / "new.bin") as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_through_a_symlink_replaces_the_file_it_points_to(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_bytes(link, b"new")
    assert link.is_symlink() and real.read_text() == "new"


@pytest.mark.parametrize(
    "make,needle",
    [
        (lambda d: d / "missing" / "x.txt", "does not exist"),
        (lambda d: (d / "file").write_text("") or d / "file" / "x.txt", "is not a folder"),
        (lambda d: d, "is a directory"),
        (lambda d: Path("."), "not a file name"),
        (lambda d: d / ("x" * 300), "choose another output path"),
    ],
)
def test_check_writable_refuses_before_any_work(tmp_path, make, needle):
    with pytest.raises(UserError) as err:
        check_writable(make(tmp_path))
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_check_writable_refuses_devices():
    if not Path("/dev/null").exists():
        pytest.skip("no /dev/null")
    with pytest.raises(UserError, match="not a regular file"):
        check_writable("/dev/null")


def test_atomic_set_of_files_is_written_together(tmp_path):
    names = ["sheet.pdf", "key.pdf", "sheet.json"]
    for name in names:
        (tmp_path / name).write_text("old " + name)
    with pytest.raises(Interrupted):
        with atomic_paths(tmp_path / n for n in names) as temps:
            assert [t.parent for t in temps] == [tmp_path] * 3
            for t in temps:
                t.write_text("half")
            raise Interrupted(signal.SIGINT)
    assert [(tmp_path / n).read_text() for n in names] == ["old " + n for n in names]
    assert leftovers(tmp_path) == []
    with atomic_paths([tmp_path / n for n in names]) as temps:
        for t, n in zip(temps, names):
            t.write_text("new " + n)
    assert [(tmp_path / n).read_text() for n in names] == ["new " + n for n in names]
    assert leftovers(tmp_path) == []


def test_atomic_set_refuses_the_same_file_twice(tmp_path):
    with pytest.raises(UserError, match="same file twice"):
        with atomic_paths([tmp_path / "a.pdf", tmp_path / "." / "a.pdf"]):
            pass
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_is_held_back_while_a_set_of_files_is_renamed():
    def raise_interrupted(signum, frame):
        raise Interrupted(signum)

    previous = signal.signal(signal.SIGINT, raise_interrupted)
    try:
        steps = []
        with pytest.raises(Interrupted):
            with _signals_held():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)
                steps.append("renamed every file")  # still runs: the signal waits for the block to end
        assert steps == ["renamed every file"]
    finally:
        signal.signal(signal.SIGINT, previous)


# ------------------------------------------------------------------ property tests


def assert_clean(exc: UserError):
    text = str(exc)
    assert text and "\n" not in text and "\r" not in text and len(text) < 2000


def load_or_clean_error(path: Path):
    try:
        assert isinstance(load(str(path)), Spec)
    except UserError as exc:
        assert_clean(exc)


@settings(max_examples=150, **ONE_SETTINGS)
@given(st.text(max_size=300))
def test_arbitrary_text_as_a_spec(tmp_path, text):
    path = tmp_path / "arbitrary.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    load_or_clean_error(path)


@settings(max_examples=100, **ONE_SETTINGS)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_as_a_spec(tmp_path, data):
    path = tmp_path / "arbitrary.yaml"
    path.write_bytes(data)
    load_or_clean_error(path)


YAML_BITS = st.sampled_from([
    "problems:", "  - ", "kind: ", "local", "expression", "count: ", "difficulty: ", "easy", "hard", "seed: ",
    "title: ", "deck: ", "{", "}", "[", "]", ",", ":", "- ", "&a ", "*a", "<<: ", "!!str ", "!!int ", "!!float ",
    "!!binary ", "!!timestamp ", "'", '"', "#", "\n", "\n  ", "\t", "1", "-1", "0", "1e9", "2024-02-30", "~", "null",
    "yes", ".nan", "? ", "|", ">", "---", "...", "%YAML 1.1", "\ufeff", "é", "\u2028",
])


@settings(max_examples=200, **ONE_SETTINGS)
@given(st.lists(YAML_BITS, max_size=40).map("".join))
def test_yaml_shaped_text_as_a_spec(tmp_path, text):
    path = tmp_path / "shaped.yaml"
    path.write_text(text, encoding="utf-8")
    load_or_clean_error(path)


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
    st.sampled_from(["local", "expression", "neuron", "accumulate", "loss", "step", "numeric", "easy", "medium", "hard"]),
)
KEYS = st.one_of(
    st.sampled_from(["title", "description", "seed", "concepts", "problems", "deck", "worksheet", "quiz",
                     "kind", "difficulty", "count", "name", "minutes", "category", "instructions"]),
    st.text(max_size=10), st.integers(-3, 3),
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4), max_leaves=12)
ENTRY = st.dictionaries(st.sampled_from(["kind", "difficulty", "count"]) | KEYS, VALUES | SCALARS, max_size=4)
SPEC = st.one_of(
    VALUES,
    st.fixed_dictionaries({"problems": st.lists(ENTRY | VALUES, max_size=4)}, optional={
        "title": VALUES, "seed": SCALARS, "deck": VALUES, "worksheet": VALUES, "quiz": VALUES, "concepts": SCALARS,
    }),
    st.dictionaries(KEYS, VALUES, max_size=6),
)


@settings(max_examples=250, **ONE_SETTINGS)
@given(SPEC)
def test_structured_but_wrong_specs(tmp_path, data):
    path = tmp_path / "structured.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    load_or_clean_error(path)


NAMES = st.sampled_from(["a", "b", "c", "x1", "w1", "out", "tanh", "L", "_", "é"])
PAIRS = st.one_of(
    st.text(max_size=15),
    st.tuples(NAMES | st.text(max_size=5), st.sampled_from(["=", "==", " = ", ""]),
              st.one_of(st.floats().map(repr), st.integers().map(str), st.text(max_size=8))).map("".join),
)


def solve_or_clean_error(program, pairs):
    try:
        record = solve_program(program, pairs)
    except UserError as exc:
        assert_clean(exc)
        return
    assert all(math.isfinite(n["data"]) and math.isfinite(n["grad"]) for n in record["nodes"])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80), st.lists(PAIRS, max_size=4))
def test_arbitrary_text_and_values_for_solve(program, pairs):
    solve_or_clean_error(program, pairs)


PROGRAM_BITS = st.sampled_from([
    "a", "b", "c", "x1", "1", "0", "-1", "2.5", "1e308", "0.0", "+", "-", "*", "/", "**", "(", ")", "tanh(", "exp(",
    "log(", "relu(", "sigmoid(", "=", ";", "\n", " ", "×", "−", "^", "e = ", "L = ", ",", "lambda", "[", "]", ".",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(PROGRAM_BITS, max_size=25).map("".join),
       st.lists(st.tuples(st.sampled_from(["a", "b", "c", "x1"]), st.sampled_from(["0", "1", "-1", "0.5", "-3", "700", "1e-300"])),
                max_size=4, unique_by=lambda t: t[0]))
def test_program_shaped_text_for_solve(program, pairs):
    solve_or_clean_error(program, [f"{n}={v}" for n, v in pairs])


def _int_over(text, most):
    try:
        return int(text) > most  # as click reads a number: " +5_000" is 5000
    except ValueError:
        return False


@settings(max_examples=60, **ONE_SETTINGS)
@given(st.lists(st.one_of(st.text(max_size=12), st.sampled_from(["--count", "--seed", "--kind", "--difficulty", "--json", "-h"])),
                max_size=5))
def test_arbitrary_problems_arguments(capsys, argv):
    """Whatever the arguments: a result, or one line on stderr and a non-zero exit. Kept small: --count is capped."""
    argv = ["problems", "--kind", "local", *argv]
    argv = ["20" if _int_over(a, 20) else a for a in argv]
    code, out, err = invoke(capsys, *argv)
    if code == 0:
        assert out and "Traceback" not in err
    else:
        assert_one_line_error(code, out, err)
