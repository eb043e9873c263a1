# Two commands do all set-up on a fresh Debian machine:
#   make demo   installs the package, then runs the demo on embedded defaults
#   make kiosk  the same install, then the demo hospital's touch kiosk
#   make test   installs what the tests need (system packages included), then runs them

# The first of Python 3.11 to 3.13 that runs (Kivy has no wheels beyond 3.13).
PYTHON ?= $(shell for v in 3.11 3.12 3.13; do python$$v --version >/dev/null 2>&1 && { echo python$$v; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
# Debian packages the tests use: MQTT broker, speech engine, virtual screen, browser,
# multitouch for the kiosk (Kivy reads touch screens through libmtdev), PostgreSQL (the
# store, tracker and web tests run on SQLite and on a throw-away PostgreSQL cluster),
# poppler-utils (pdftoppm: the printed signs' PDF as PNG pages, looked at in the tests), and
# Node.js unless one is there (the phone page's follower runs in it on simulated walks).
SYSTEM_PACKAGES := mosquitto espeak-ng xvfb chromium libmtdev1 postgresql poppler-utils
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Python keeps compiled modules (and pytest its assertion-rewritten tests) in __pycache__,
# unless this is set, as it is on some machines (this one and CI's): then every test worker
# and every command the tests start compiles everything again (about 6 s of CPU per pytest
# process, and more per command).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: demo kiosk test test-fast check pytest bench system-deps install install-test clean

demo: system-deps install
	$(BIN)/wayfinding demo

# The touch kiosk of the demo hospital's main hall, in a portrait window.
kiosk: system-deps install
	$(BIN)/wayfinding kiosk

test: system-deps install-test check pytest

# The edit-test loop (about 2 minutes): lint, types, and the tests of the parts that need no
# broker, browser, screen or server (plans, routing, positioning, the tracker's core).
test-fast: install-test check
	$(BIN)/pytest -q $(XDIST) -m "not slow" tests/floorplans tests/routing tests/beacons \
	  tests/tracker/test_core.py tests/tracker/test_partitions.py

# Lint, format, types, and the import rules of docs/architecture.md (pyproject.toml's
# [tool.importlinter]: layers, no front end importing another, no circle).
check: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The suite in two phases, with a third run beside them.
# 1. The test that loads the whole machine by design (2,000 wristbands through every tracker
#    process: "alone").
# 2. The rest in parallel (pytest-xdist): four workers on two cores, since many tests wait on
#    real processes and real time; a module stays on one worker (its fixtures are set up
#    once), and the modules with tests of minutes start first (tests/conftest.py).
# Beside both, at the lowest priority (nice 19), the modules that only compute, with no clock
# to meet (BACKGROUND: trials on simulated time, property tests, replays of recorded
# readings): they take only the CPU the others leave idle (a quarter of it while the alone
# test runs, a third in the first minutes of the parallel part) and never slow them down.
# Every part runs even when one fails; the exit status says whether all passed. Figures in
# docs/benchmarks.md, "The test suite".
BACKGROUND := tests/tracker/test_stage_accuracy.py tests/routing/test_directions_check.py \
  tests/floorplans/test_untidy.py tests/floorplans/test_edit.py tests/routing/test_engine.py \
  tests/beacons/test_estimator.py tests/beacons/test_calibration.py
XDIST := -n 4 --dist loadscope --no-loadscope-reorder
pytest: install-test
	@status=0; log=$$(mktemp); \
	nice -n 19 $(BIN)/pytest -q -m "not alone" $(BACKGROUND) > $$log 2>&1 & background=$$!; \
	echo "== alone ($(words $(BACKGROUND)) modules run in the background meanwhile)"; \
	$(BIN)/pytest -q -m alone || status=1; \
	echo "== the rest, in parallel"; \
	$(BIN)/pytest -q $(XDIST) -m "not alone" $(addprefix --ignore=,$(BACKGROUND)) --durations=10 || status=1; \
	wait $$background || status=1; \
	echo "== the background modules"; cat $$log; rm -f $$log; \
	exit $$status

bench: install-test
	$(BIN)/python bench/bench_floorplans.py
	$(BIN)/python bench/bench_routing.py
	$(BIN)/python bench/bench_positioning.py
	$(BIN)/python bench/bench_tracker.py
	$(BIN)/python bench/bench_web.py
	$(BIN)/python bench/bench_follow.py
	$(BIN)/python bench/bench_phone_3g.py
	$(BIN)/python bench/bench_companion.py
	xvfb-run -a -s "-screen 0 1920x1920x24" $(BIN)/python bench/bench_kiosk.py

system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11, 3.12 or 3.13 is needed"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[tts,broker,kiosk]"
	touch $@

install-test: $(VENV)/.installed-test
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[tts,broker,kiosk]" --group test
	touch $@

clean:
	rm -rf $(VENV) out wayfinding.db .pytest_cache .mypy_cache .ruff_cache
