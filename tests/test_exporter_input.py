"""Bad input to the exporters: one line on stderr, a non-zero exit, and no file written."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CASES = [
    (["deck", "-o", ""], "-o needs a file name"),
    (["deck", "-o", "x.txt"], ".apkg"),
    (["deck", "--seed", "x"], "--seed"),
    (["deck", "--seed", "-1"], "seed"),
    (["deck", "--image-format", "gif"], "gif"),
    (["deck", "-o", "missing/deck.apkg"], "does not exist"),
    (["deck", "nope.yaml"], "not found"),
    (["worksheet", "--versions", "0"], "--versions"),
    (["worksheet", "--versions", "501"], "--versions"),
    (["worksheet", "--versions", "many"], "--versions"),
    (["worksheet", "--paper", "a5"], "a5"),
    (["worksheet", "--format", "docx"], "docx"),
    (["worksheet", "-o", "sheets.docx"], ".pdf"),
    (["worksheet", "--format", "html", "-o", "sheets.pdf"], "html"),
    (["worksheet", "-o", ""], "-o needs a file name"),
    (["worksheet", "-o", "missing/ws.pdf"], "does not exist"),
    (["worksheet", "micrograd", "--versions", "300"], "the most one run makes is 10000"),
    (["quiz", "--format", "moodle", "-o", "q.gift"], ".xml"),
    (["quiz", "--format", "xyz"], "xyz"),
    (["quiz", "-o", ""], "-o needs a file name"),
    (["quiz", "-o", "missing/q.xml"], "does not exist"),
    (["quiz", "--seed", "1.5"], "--seed"),
    (["practice", "nope.yaml"], "not found"),
    (["practice", "-o", "page.htm"], ".html"),
    (["practice", "-o", "page.pdf"], ".html"),
    (["practice", "-o", ""], "-o needs a file name"),
    (["practice", "-o", "missing/page.html"], "does not exist"),
    (["practice", "--seed", "x"], "--seed"),
]


@pytest.mark.parametrize("args,needle", CASES, ids=[" ".join(a) or "empty" for a, _ in CASES])
def test_exporter_bad_input(tmp_path, args, needle):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "practice", *args], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in r.stderr, r.stderr
    assert needle in lines[0]
    assert list(tmp_path.iterdir()) == []  # nothing written, not even a temporary file
