"""What a user installs is what is tested: the wheel built from the checkout, installed (not editable) into a new
virtual environment outside the source tree, run from a folder that is not the checkout.

The wheel must hold every file the program reads at run time (each module of engine/ and practice/, each file of
templates/ and decks/) and nothing from tests/; the sdist must build the same wheel; `twine check` must pass.
Then every command runs from the installed tool on every bundled spec, and each output is checked to be there
and well formed. A file missing from the wheel fails here twice: in the file list, and in the command that reads it.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(p.stem for p in (ROOT / "decks").glob("*.yaml") if p.stem != "concepts")
PNG_SPEC = "worksheet"  # the quizzes of this spec are drawn in PNG, the others' in SVG
DATA = {"templates": "practice/templates", "decks": "practice/decks"}  # checkout folder -> place in the wheel


def _run(args, cwd, **kw):
    run = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, **kw)
    assert run.returncode == 0, f"{' '.join(map(str, args))} exited {run.returncode}:\n{run.stdout[-2000:]}\n{run.stderr[-3000:]}"
    return run


def _checkout_files() -> list[str]:
    """The checkout's files as a fresh clone with this work's changes holds them: tracked, and new ones not ignored
    (nothing a running test or an earlier build leaves there)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True)
    if listed.returncode == 0 and listed.stdout:
        return [n for n in listed.stdout.decode().split("\0") if n and (ROOT / n).is_file()]
    skip = {".git", ".venv", "build", "dist", "__pycache__", ".pytest_cache", ".hypothesis"}  # not a git checkout
    return [str(p.relative_to(ROOT)) for p in ROOT.rglob("*")
            if p.is_file() and not skip & set(p.relative_to(ROOT).parts) and ".egg-info" not in str(p)]


def _shipped_sources() -> list[str]:
    """Every file of the checkout the program may read at run time, as its path in the wheel."""
    out = []
    for rel in _checkout_files():
        top, _, rest = rel.partition("/")
        if top in ("engine", "practice") and rel.endswith(".py"):
            out.append(rel)
        elif top in DATA and rest:
            out.append(f"{DATA[top]}/{rest}")
    return sorted(out)


def _clone(into: Path) -> Path:
    """The checkout's files copied as they are now: what a fresh clone holds, with this work's changes."""
    for name in _checkout_files():
        (into / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, into / name)
    return into


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(wheel, sdist, wheel built from the sdist), from a fresh copy. The wheel is built as a user's installer
    builds it, in an isolated build environment (pyproject's build requirements, nothing else); the sdist and its
    wheel are built without one: what they test is which files the sdist holds, and the isolated build is proved
    once (each isolated build installs setuptools afresh: seconds of CPU)."""
    out = tmp_path_factory.mktemp("dist")
    source = _clone(tmp_path_factory.mktemp("clone"))
    _run([sys.executable, "-m", "pip", "wheel", "-q", source, "--no-deps", "-w", out / "wheel"], cwd=out)
    _run([sys.executable, "-m", "build", "-q", "--sdist", "--no-isolation", "--outdir", out / "sdist", source], cwd=out)
    (sdist,) = (out / "sdist").glob("*.tar.gz")
    _run([sys.executable, "-m", "pip", "wheel", "-q", sdist, "--no-deps", "--no-build-isolation", "-w", out / "from-sdist"],
         cwd=out)
    (wheel,) = (out / "wheel").glob("*.whl")
    (again,) = (out / "from-sdist").glob("*.whl")
    return wheel, sdist, again


def _contents(wheel: Path) -> dict[str, str]:
    with zipfile.ZipFile(wheel) as zf:
        return {i.filename: hashlib.sha256(zf.read(i)).hexdigest() for i in zf.infolist()
                if ".dist-info/" not in i.filename}


def test_the_wheel_holds_every_run_time_file_and_nothing_else(built):
    wheel, _, _ = built
    names = set(_contents(wheel))
    missing = [rel for rel in _shipped_sources() if rel not in names]
    assert not missing, f"files the program reads are not in the wheel: {missing}"
    assert {n.split("/")[0] for n in names} == {"engine", "practice"}, sorted(names)[:20]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or n.startswith("tests/")]
    for folder in ("practice/kinds", "practice/worksheets", "practice/templates/anki", "practice/decks"):
        assert any(n.startswith(folder + "/") for n in names), folder


def test_the_sdist_builds_the_same_wheel(built):
    wheel, sdist, again = built
    assert _contents(again) == _contents(wheel)
    with tarfile.open(sdist) as tf:
        members = {m.name.split("/", 1)[1] for m in tf.getmembers() if "/" in m.name}
    for rel in ("LICENSE", "README.md", "pyproject.toml", "setup.py", "templates/anki/cards.css", "decks/micrograd.yaml"):
        assert rel in members, rel


def test_the_package_metadata_is_complete_and_renders(built):
    wheel, sdist, _ = built
    _run([sys.executable, "-m", "twine", "check", "--strict", wheel, sdist], cwd=wheel.parent)
    with zipfile.ZipFile(wheel) as zf:
        meta = next(zf.read(n).decode() for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        entry = next(zf.read(n).decode() for n in zf.namelist() if n.endswith(".dist-info/entry_points.txt"))
        licences = [n for n in zf.namelist() if ".dist-info/licenses/" in n]
    from practice import __version__

    for field in ("Summary: ", "Requires-Python: >=3.11", "License-Expression: MIT", "License-File: LICENSE",
                  "Classifier: Intended Audience :: Education", "Description-Content-Type: text/markdown",
                  f"Version: {__version__}"):
        assert field in meta, field
    assert "backprop-practice = practice.entry:run" in entry
    assert licences == [licences[0]] and licences[0].endswith("/LICENSE")


@pytest.fixture(scope="module")
def installed(built, tmp_path_factory):
    """The wheel installed, with its dependencies, into a new venv outside the checkout; and a folder to run in."""
    wheel, _, _ = built
    where = tmp_path_factory.mktemp("user")
    venv = where / "venv"
    # A venv without pip of its own (ensurepip alone costs seconds), filled by this pip: `pip --python` installs
    # into the venv, resolving the dependencies for its interpreter, as the venv's own pip would.
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=where)
    _run([sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "-q", "--no-compile",
          "--disable-pip-version-check", wheel], cwd=where)
    work = where / "work"
    work.mkdir()
    return venv / "bin", work


def _tool(installed, *args, env=None):
    bin_dir, work = installed
    return _run([bin_dir / "backprop-practice", *args], cwd=work, env={**os.environ, **(env or {})})


def test_the_installed_tool_runs_from_the_venv_not_the_checkout(installed):
    bin_dir, work = installed
    from practice import __version__

    assert _tool(installed, "--version").stdout.strip() == f"backprop-practice, version {__version__}"
    where = _run([bin_dir / "python", "-c", "import practice, engine; print(practice.__file__); print(engine.__file__)"],
                 cwd=work).stdout.split()
    assert all(str(bin_dir.parent) in w and str(ROOT) not in w for w in where), where
    solved = json.loads(_tool(installed, "solve", "e = a*b; d = e + c; L = d*f", "a=2", "b=-3", "c=10", "f=-2", "--json").stdout)
    grads = {n["name"]: n["grad"] for n in solved["problems"][0]["nodes"]}
    assert grads == {"a": 6.0, "b": -4.0, "e": -2.0, "c": -2.0, "d": -2.0, "f": 4.0, "L": 1.0}  # the lesson's key
    text = _tool(installed, "solve", "(a*b + c)*f", "a=2", "b=-3", "c=10", "f=-2").stdout
    assert "a.grad" in text and "6" in text
    engine_dir = Path(where[1]).parent  # the installed tool's own engine checks out clean
    checked = json.loads(_tool(installed, "check", engine_dir, "--json").stdout)
    assert checked["format"] == "backprop-practice.check/1" and checked["verdict"] == "pass", checked["verdict"]
    for command in ("problems", "solve", "check", "deck", "worksheet", "quiz", "practice"):
        assert "Usage:" in _tool(installed, command, "--help").stdout


def _pdf_pages(path: Path) -> int:
    info = _run(["pdfinfo", path], cwd=path.parent).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


@pytest.mark.parametrize("spec", SPECS)
def test_every_command_works_from_the_installed_wheel_on_every_bundled_spec(installed, spec):
    _, work = installed
    out = work / spec
    out.mkdir()
    doc = json.loads(_tool(installed, "problems", spec, "--json").stdout)
    assert doc["format"] == "backprop-practice.problems/1" and doc["problems"]
    variants = json.loads(_tool(installed, "problems", spec, "--variants", "2", "--json").stdout)["problems"]
    assert [v["variant"] for v in variants] == [1, 2] * len(doc["problems"])
    assert all({"id", "kind", "nodes", "answers", "steps"} <= set(p) for p in doc["problems"])

    _tool(installed, "deck", spec, "--variants", "2", "-o", out / "deck.apkg")  # variants' scripts and fields ship too
    with zipfile.ZipFile(out / "deck.apkg") as zf:
        names = set(zf.namelist())
        media = json.loads(zf.read("media"))
        assert "collection.anki2" in names and set(media) <= names and media
        assert all(zf.read(k)[:5] in (b"<?xml", b"<svg ") for k in list(media)[:5])

    _tool(installed, "worksheet", spec, "-o", out / "sheet.pdf")
    for name in ("sheet.pdf", "sheet-key.pdf"):
        assert (out / name).read_bytes()[:5] == b"%PDF-" and _pdf_pages(out / name) >= 2
    manifest = json.loads((out / "sheet.json").read_text())
    assert manifest["format"] == "backprop-practice.worksheets/2" and len(manifest["versions"]) == 1
    _tool(installed, "worksheet", spec, "--format", "html", "-o", out / "sheet.html")
    for name in ("sheet.html", "sheet-key.html"):
        html = (out / name).read_text()
        assert html.lstrip().lower().startswith("<!doctype html") and "</html>" in html

    from lxml import etree

    # PNG (Pillow's part) on the smallest spec, SVG on the others: each format runs from the wheel, and the
    # in-process tests check every format on every kind.
    image = "png" if spec == PNG_SPEC else "svg"
    _tool(installed, "quiz", spec, "--format", "moodle", "--image-format", image, "--max-size", "50MB", "-o", out / "quiz.xml")
    root = etree.parse(str(out / "quiz.xml")).getroot()
    assert root.tag == "quiz" and root.findall("question")
    _tool(installed, "quiz", spec, "--format", "gift", "-o", out / "quiz.gift")
    assert "::" in (out / "quiz.gift").read_text() and "{" in (out / "quiz.gift").read_text()
    _tool(installed, "quiz", spec, "--format", "qti", "--image-format", image, "--variants", "2", "-o", out / "quiz.zip")
    with zipfile.ZipFile(out / "quiz.zip") as zf:
        assert "imsmanifest.xml" in zf.namelist()
        for name in zf.namelist():
            if name.endswith(".xml"):
                etree.fromstring(zf.read(name))

    _tool(installed, "practice", spec, "--variants", "2", "-o", out / "page.html")
    page = (out / "page.html").read_text()
    assert page.lstrip().lower().startswith("<!doctype html") and "<script" in page
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"]
    assert not leftovers


def test_a_missing_graphviz_is_one_line_naming_how_to_install_it(installed, tmp_path):
    bin_dir, work = installed
    empty = tmp_path / "bin"
    empty.mkdir()
    run = subprocess.run([str(bin_dir / "backprop-practice"), "deck", "-o", str(tmp_path / "d.apkg")], cwd=work,
                         capture_output=True, text=True, env={**os.environ, "PATH": str(empty)})
    assert run.returncode == 2 and run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "apt install graphviz" in lines[0], run.stderr  # this machine is Debian
    assert not (tmp_path / "d.apkg").exists()
    assert shutil.which("dot")  # the real one is there for every other test
