"""The real parts the suite tests against must be here: a missing one fails the run instead of skipping tests."""

import shutil

import pytest

# Commands the code or the tests run, and the Debian package that brings each (the Makefile's APT_PACKAGES).
COMMANDS = {"dot": "graphviz", "pdfinfo": "poppler-utils", "pdftotext": "poppler-utils", "pdftoppm": "poppler-utils",
            "chromium": "chromium"}


def pytest_configure(config):
    missing, packages = [], {}
    for command, package in COMMANDS.items():
        if shutil.which(command) is None:
            packages.setdefault(package, []).append(f"`{command}`")
    for package, commands in packages.items():
        missing.append(f"{', '.join(commands)} (apt-get install {package})")
    for module, hint in (("anki.collection", "pip install anki"), ("torch", "pip install torch==2.13.0"), ("typst", "pip install typst"),
                         ("playwright.sync_api", "pip install playwright")):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"{module} ({hint})")
    if missing:
        raise pytest.UsageError("the test suite needs " + "; ".join(missing) + " (make test installs them)")
