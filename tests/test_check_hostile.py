"""Hostile and broken files: each gets one clear line in bounded time, never a hang or a traceback from
the tool, and nothing is written but the report. The limits are small here so the module stays quick."""

import subprocess
import sys

import inspect

import micrograd.engine
import pytest

from practice.check.api import check_path
from practice.check.sandbox import Limits

LIMITS = Limits(timeout=5, cpu=30)  # room for a busy machine; a loop costs its limit, so those get less
LOOPING = Limits(timeout=4, cpu=30)  # the looping file's other checks (a 2,000-deep chain) must still finish under load
LOADING = Limits(timeout=1, cpu=30)  # a loop at import: loading never ends, whatever the limit (a second burnt, not four)
MICROGRAD = inspect.getsource(micrograd.engine)
LOOP_IN_RELU = MICROGRAD.replace("    def relu(self):\n", "    def relu(self):\n        while True:\n            pass\n")
EXIT_IN_POW = MICROGRAD.replace("    def __pow__(self, other):\n", "    def __pow__(self, other):\n        import os; os._exit(7)\n")

# name: (file name, source, what the one line must say)
HOSTILE = {
    "loop at import": ("loop.py", "while True:\n    pass\n", "loading the code did not finish within 1 s (an endless loop?)"),
    "os._exit at import": ("exit.py", "import os\nos._exit(3)\n", "the code ended the process (exit status 3; os._exit?)"),
    "sys.exit at import": ("sysexit.py", "import sys\nsys.exit(4)\n", "loading the code failed: the code called sys.exit(4)"),
    "input() at import": ("ask.py", "name = input('your name? ')\n", "EOFError: input() was called, but nobody can type"),
    "100 MB print": ("flood.py", "print('x' * 100_000_000)\n", "loading the code printed more than 1 MB (a print in a loop?)"),
    "syntax error": ("broken.py", "class Value:\n    def __init__(self, data:\n", "SyntaxError: "),
    "import error": ("imports.py", "import no_such_module_here\n", "ModuleNotFoundError: No module named 'no_such_module_here'"),
    "no value class": ("plain.py", "x = 1\n\nclass Point:\n    pass\n", "no value class found"),
    "memory hog": ("hog.py", "x = bytearray(4 * 1024**3)\n", "MemoryError"),
    "writes a file": ("writer.py", MICROGRAD + "\nopen('written.txt', 'w').write('hello')\n",
                      "PermissionError: the checker does not let the code write files (it opened 'written.txt' to write)"),
    "runs a program": ("shell.py", "import os\nos.system('touch made.txt')\n", "the checker does not let the code do os.system"),
    "two value classes": ("two.py", MICROGRAD.replace("Value", "Scalar") + "\nclass Other(Scalar):\n    pass\n",
                          "several classes look like a value class (Scalar, Other); choose one with --class"),
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    for name, source, _ in HOSTILE.values():
        (folder / name).write_text(source)
    (folder / "loop_in_relu.py").write_text(LOOP_IN_RELU)
    (folder / "exit_in_pow.py").write_text(EXIT_IN_POW)
    before = sorted(p.name for p in folder.iterdir())
    reports = {name: check_path(folder / file, limits=LOADING if name == "loop at import" else LIMITS)
               for name, (file, _, _) in HOSTILE.items()}
    reports["loop in an op"] = check_path(folder / "loop_in_relu.py", limits=LOOPING)
    reports["os._exit in an op"] = check_path(folder / "exit_in_pow.py", limits=LIMITS)
    return folder, before, reports


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_file_gets_one_clear_line(hostile, name):
    _, _, reports = hostile
    report = reports[name]
    expected = HOSTILE[name][2]
    assert report.verdict == "error", report.headline()
    assert expected in report.load_error, report.load_error
    assert "\n" not in report.headline() and report.headline().startswith("error: ")
    assert report.to_json()["checks"][0]["why"] == report.load_error
    assert report.exit_code == 1


def test_nothing_is_written_but_the_report(hostile):
    folder, before, _ = hostile
    assert sorted(p.name for p in folder.iterdir()) == before


def test_a_loop_inside_an_op_fails_that_op_and_the_rest_is_still_checked(hostile):
    report = hostile[2]["loop in an op"]
    groups = {g["op"]: g for g in report.groups()}
    assert [op for op, g in groups.items() if g["status"] == "failed"] == ["relu"]
    assert groups["relu"]["first"].why == "the check did not finish within 4 s (an endless loop?)"
    assert groups["+"]["status"] == groups["*"]["status"] == groups["deep"]["status"] == "passed"
    assert all(r.why.startswith(("not run: a check with the same ops", "the check did not finish"))
               for r in report.results if r.status == "error")


def test_os_exit_inside_an_op_fails_that_op_and_the_rest_is_still_checked(hostile):
    report = hostile[2]["os._exit in an op"]
    groups = {g["op"]: g for g in report.groups()}
    assert groups["**"]["status"] == "failed"
    assert "the code ended the process (exit status 7; os._exit?)" in groups["**"]["first"].why
    assert groups["+"]["status"] == groups["*"]["status"] == "passed"


def test_the_command_prints_one_line_for_a_broken_file_and_exits_1(tmp_path):
    path = tmp_path / "loop.py"
    path.write_text("while True:\n    pass\n")
    run = subprocess.run([sys.executable, "-m", "practice", "check", str(path), "--timeout", "1"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and run.stderr == ""
    assert run.stdout == f"{path}: could not be checked: loading the code did not finish within 1 s (an endless loop?)\n"
