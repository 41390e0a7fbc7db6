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
# - A module whose many tests read one costly module fixture (a whole quiz, a sandboxed run of hostile files)
#   is one group, so one worker makes the fixture once instead of every worker making it again.
# - The longest modules go first: xdist hands tests out in collection order, so the workers end together
#   rather than one finishing a long test while the other waits. By measured CPU, longest first.
SHARED_FIXTURE_MODULES = ("test_quiz.py", "test_qti.py", "test_check_hostile.py", "test_check_mutants.py",
                          "test_check.py", "test_grading.py")
LONGEST_FIRST = ("test_wheel.py", "test_typed_cards.py", "test_practice_page.py", "test_quiz.py", "test_nn.py",
                 "test_worksheet.py", "test_deck.py", "test_training_kinds.py", "test_cli.py", "test_qti.py",
                 "test_variants_cards.py", "test_picture_marks.py", "test_check_hostile.py", "test_check_mutants.py")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config, items):
    for item in items:
        module = item.path.name
        if module in SHARED_FIXTURE_MODULES and not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(module.removesuffix(".py")))
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the order inside a module stays
