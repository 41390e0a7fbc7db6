"""`pip install .` (not only editable) gives a working tool: templates and decks travel inside the package."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_plain_install_finds_its_data_outside_the_checkout(tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", str(target), str(ROOT)],
        check=True, capture_output=True, cwd=tmp_path,
    )
    for rel in ("practice/templates/problems.txt.j2", "practice/decks/micrograd.yaml", "practice/decks/concepts.yaml", "engine/value.py"):
        assert (target / rel).is_file(), rel
    for folder in ("templates", "decks"):  # every data file of the checkout travels, subfolders included
        for source in (ROOT / folder).rglob("*"):
            if source.is_file():
                assert (target / "practice" / folder / source.relative_to(ROOT / folder)).is_file(), source
    env = {**os.environ, "PYTHONPATH": str(target)}
    run = subprocess.run(
        [sys.executable, "-m", "practice", "problems", "micrograd", "--kind", "local", "--count", "2", "--json"],
        capture_output=True, text=True, cwd=tmp_path, env=env,
    )
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert [p["kind"] for p in doc["problems"]] == ["local"] * 6  # three local entries in the spec, two each
    where = subprocess.run(
        [sys.executable, "-c", "import practice.resources as r; print(r.templates_dir()); print(r.decks_dir())"],
        capture_output=True, text=True, cwd=tmp_path, env=env, check=True,
    ).stdout.split()
    assert all(str(target) in w for w in where)
