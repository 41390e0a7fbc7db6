# Two commands for a fresh Debian or Ubuntu machine with Python 3.11:
#   make demo   build the bundled lesson deck (micrograd.apkg) in this folder
#   make test   run the whole test suite
# Both set up what they need: the Debian packages in APT_PACKAGES (apt-get, only for a package whose command is
# missing) and a virtual environment in .venv.

VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Every Debian package the code or the tests run, as package:command (the command, or for a package without
# one a file, that shows it is installed). Adding one is one word here. fonts-liberation2 is the font the
# pictures are laid out in (graphviz only recommends it, and a machine set to skip recommends lacks it).
# chromium-headless-shell is Chromium's headless build (the one Playwright runs headless), at half the CPU per
# page load of the full chromium: the tests load thousands of pages.
APT_PACKAGES := graphviz:dot poppler-utils:pdftotext chromium-headless-shell:chromium-headless-shell \
                fonts-liberation2:/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf
# Another apt-get at work (unattended upgrades, a second checkout): wait up to 10 minutes for its lock.
APT_WAIT     := -o DPkg::Lock::Timeout=600

.PHONY: demo test setup packages bench clean anki-desktop

demo: setup
	$(VENV)/bin/backprop-practice deck

# The suite starts hundreds of Python processes (the CLI, typesetting children, sandboxed engines, the workers):
# each reads compiled modules from one bytecode cache in the venv, written the first time a module is imported,
# even where PYTHONDONTWRITEBYTECODE is set (as on some CI images), which would make every process compile
# every module it imports from source again (torch alone: seconds). The checkout gets no __pycache__ folders.
PYCACHE := $(abspath $(VENV))/pycache

test: setup $(VENV)/.compiled
	$(PYC) $(PY) -m pytest

bench: setup
	$(PY) bench/run.py

setup: packages $(VENV)/.installed

# The packages whose command is missing, installed with one apt-get (via sudo when not root); none missing, no apt-get.
packages:
	@missing="$(foreach p,$(APT_PACKAGES),$$(command -v $(word 2,$(subst :, ,$(p))) >/dev/null || test -e $(word 2,$(subst :, ,$(p))) || echo $(word 1,$(subst :, ,$(p)))))"; \
	missing=$$(echo $$missing); \
	[ -z "$$missing" ] || { echo "installing $$missing"; $(SUDO) apt-get $(APT_WAIT) update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get $(APT_WAIT) install -y -qq $$missing; }

# --no-compile: Python compiles a module when it is first imported (into PYCACHE, for the tests: .compiled below),
# so the thousands of files torch and the other test packages bring that nothing imports are never compiled (half
# of this step's time).
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --no-compile -e '.[test]'
	@touch $@

# The modules the suite imports (in its workers, the CLI runs and test_wheel's builds), compiled into PYCACHE once
# before the first test run (not for `make demo`), in two processes; setuptools first, before anything brings the
# standard library's distutils.
# Compiled on first import instead, the first processes of a fresh run each compiled the same modules at once:
# the suite took 342 s in a fresh clone against 267 s run again (torch alone: 11 s to import the first time, 2 s
# after). Only a cache: a module that fails to import here is compiled by the tests, as before.
PYC        := PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX=$(PYCACHE)
WARM       := $(PYC) $(PY) -W ignore -c 'import importlib, sys; [importlib.import_module(m) for m in sys.argv[1:]]'
WARM_HEAVY := torch torch._dynamo torch.distributed torch.onnx sympy
WARM_REST  := setuptools.build_meta setuptools.command.bdist_wheel numpy mpmath anki.collection playwright.sync_api \
              hypothesis hypothesis.strategies pypdf lxml.etree PIL.Image jinja2 genanki \
              yaml click rich pygments requests typst graphviz docutils.core readme_renderer.rst twine.commands.check \
              build pip._internal.commands.install pytest xdist
WARM_MISSED := not every module was compiled ahead; the tests compile the rest

$(VENV)/.compiled: $(VENV)/.installed
	@echo "compiling the modules the tests import"; $(WARM) $(WARM_HEAVY) & heavy=$$!; \
	$(WARM) $(WARM_REST) || echo "$(WARM_MISSED)"; $(PYC) $(PY) -m compileall -q practice engine tests >/dev/null; \
	wait $$heavy || echo "$(WARM_MISSED)"
	@touch $@

# The real Anki desktop reviewer (aqt under Xvfb) deals variants: tests/anki_desktop/README.md. Its packages
# are its own: the Debian ones for Xvfb and Qt, and aqt with Qt WebEngine in $(ANKI_VENV), not the test run's.
ANKI_VENV     ?= .venv-anki
ANKI_APT      := xvfb xauth libxcb-icccm4 libxcb-keysyms1 libxcb-xinerama0 libxcb-cursor0 libxkbcommon-x11-0
ANKI_WORK     ?= out/anki-desktop

anki-desktop: setup
	@command -v xvfb-run >/dev/null || { $(SUDO) apt-get $(APT_WAIT) update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get $(APT_WAIT) install -y -qq $(ANKI_APT); }
	@test -x $(ANKI_VENV)/bin/python || $(PYTHON) -m venv $(ANKI_VENV)
	$(ANKI_VENV)/bin/python -c "import aqt, PyQt6.QtWebEngineCore" 2>/dev/null || $(ANKI_VENV)/bin/pip install -q aqt anki pyqt6 pyqt6-webengine
	mkdir -p $(ANKI_WORK) && rm -rf $(ANKI_WORK)/anki-base $(ANKI_WORK)/shots
	$(VENV)/bin/backprop-practice deck -o $(ANKI_WORK)/variants.apkg
	WORK=$(ANKI_WORK) timeout -s KILL 600 xvfb-run -a -s "-screen 0 1600x1200x24" $(ANKI_VENV)/bin/python tests/anki_desktop/drive_variants.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
