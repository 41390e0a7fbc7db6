"""What the wheel holds, found rather than listed: every package under engine/ and practice/ (a new module or
subpackage ships as it is), and the data folders templates/ and decks/, shipped inside practice as
practice.templates and practice.decks with every file in them, each subfolder a data package of its own (a new
template, template folder or spec ships as it is). The metadata is in pyproject.toml; tests/test_wheel.py builds
the wheel, checks that it holds every file the program reads, and runs the installed tool outside the checkout."""

import shutil
from pathlib import Path

from setuptools import find_namespace_packages, setup

# setuptools copies the package into build/lib and never removes a file from there: a module moved or deleted
# since the last build would ship again. Each build starts from an empty build folder.
shutil.rmtree(Path(__file__).resolve().parent / "build", ignore_errors=True)

DATA = {"practice.templates": "templates", "practice.decks": "decks"}  # package -> its folder in the checkout
SKIP = ["*.__pycache__", "__pycache__"]

code = find_namespace_packages(include=["engine", "engine.*", "practice", "practice.*"], exclude=SKIP)
data = [sub for name, folder in DATA.items()
        for sub in [name] + [f"{name}.{p}" for p in find_namespace_packages(where=folder, exclude=SKIP)]]

setup(
    packages=code + data,
    package_dir=DATA,
    package_data={name: ["*"] for name in data},
    exclude_package_data={"": ["*.pyc"]},
)
