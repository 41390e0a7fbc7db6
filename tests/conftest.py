"""The real parts the suite tests against must be here: a missing one fails the run instead of skipping tests."""

import shutil

import pytest

# Commands the code or the tests run, and the Debian package that brings each (the Makefile's APT_PACKAGES).
COMMANDS = {"dot": "graphviz", "pdfinfo": "poppler-utils", "pdftotext": "poppler-utils", "pdftoppm": "poppler-utils",
            "chromium-headless-shell": "chromium-headless-shell"}


def pytest_configure(config):
    missing, packages = [], {}
    for command, package in COMMANDS.items():
        if shutil.which(command) is None:
            packages.setdefault(package, []).append(f"`{command}`")
    for package, commands in packages.items():
        missing.append(f"{', '.join(commands)} (apt-get install {package})")
    from importlib.util import find_spec  # found, not imported: torch alone takes seconds to import

    for module, hint in (("anki", "pip install anki"), ("torch", "pip install torch==2.13.0"), ("typst", "pip install typst"),
                         ("playwright", "pip install playwright")):
        if find_spec(module) is None:
            missing.append(f"{module} ({hint})")
    if missing:
        raise pytest.UsageError("the test suite needs " + "; ".join(missing) + " (make test installs them)")


# How the workers of pytest-xdist (`-n auto --dist loadgroup`, see pyproject.toml) share the suite.
# - A module whose many tests read one costly module fixture (a whole quiz, the installed wheel, a sandboxed run
#   of hostile files, a class set, 200 problems a cell) goes whole to one worker, so the fixture is made once
#   instead of once in every worker (and again whenever a worker came back to the module after another's tests).
#   With the longest of them first, the two workers still end within a second or two of each other.
#   xdist's own loadgroup can't do this under pytest 9.2: it tags a test's node id through an attribute pytest
#   no longer reads, and every group was silently spread over both workers. SharedFixtureScheduling does it
#   through xdist's scheduler hook instead: every other test is a unit of its own, handed out as a worker
#   runs short (as `--dist load` does), and a listed module is one unit.
# - The longest modules go first: the workers take tests in collection order, so they end together rather than
#   one finishing a long test while the other waits. By measured CPU, longest first.
SHARED_FIXTURE_MODULES = ("test_wheel.py", "test_quiz.py", "test_qti.py", "test_check_hostile.py",
                          "test_check_mutants.py", "test_check.py", "test_grading.py", "test_training_kinds.py",
                          "test_worksheet.py", "test_problems.py", "test_typed_cards.py", "test_practice_page.py",
                          "test_deck.py")
LONGEST_FIRST = ("test_wheel.py", "test_typed_cards.py", "test_practice_page.py", "test_quiz.py", "test_nn.py",
                 "test_worksheet.py", "test_deck.py", "test_training_kinds.py", "test_cli.py", "test_qti.py",
                 "test_variants_cards.py", "test_picture_marks.py", "test_check_hostile.py", "test_check_mutants.py")


def unit_of(nodeid: str) -> str:
    """The unit of work a test is handed out in: its module, for a module of SHARED_FIXTURE_MODULES; else itself."""
    module = nodeid.split("::", 1)[0]
    return module if module.rsplit("/", 1)[-1] in SHARED_FIXTURE_MODULES else nodeid


def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadgroup":
        return None  # another --dist chosen on the command line: xdist's own
    from xdist.scheduler import LoadScopeScheduling

    class SharedFixtureScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return unit_of(nodeid)

    config.option.loadscopereorder = False  # (LoadScope would put the units with most tests first)
    return SharedFixtureScheduling(config, log)


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the order inside a module stays
