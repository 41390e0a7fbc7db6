# Two commands for a fresh Debian or Ubuntu machine with Python 3.11:
#   make demo   build the bundled lesson deck (micrograd.apkg) in this folder
#   make test   run the whole test suite
# Both set up what they need: Graphviz (apt-get, when `dot` is missing) and a virtual environment in .venv.

VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test setup graphviz bench clean

demo: setup
	$(VENV)/bin/backprop-practice deck

test: setup
	$(PY) -m pytest

bench: setup
	$(PY) bench/run.py

setup: graphviz $(VENV)/.installed

graphviz:
	@command -v dot >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq graphviz; }

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $@

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
