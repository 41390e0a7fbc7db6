"""The real parts the suite tests against must be here: a missing one fails the run instead of skipping tests."""

import shutil


def pytest_configure(config):
    missing = []
    if shutil.which("dot") is None:
        missing.append("Graphviz `dot` (apt-get install graphviz)")
    for module, hint in (("anki.collection", "pip install anki"), ("torch", "pip install torch==2.13.0"), ("typst", "pip install typst")):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"{module} ({hint})")
    if missing:
        raise SystemExit("the test suite needs " + "; ".join(missing) + " (make test installs them)")
