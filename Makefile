# Inference Cost Workbook — the two commands of the README:
#   make lab    install everything into .venv and open the workbook in JupyterLab
#   make test   install everything into .venv and run every check (what CI runs)
# Other targets: make app, make room, make book, make screenshots, make bench, make exercises,
# make clean, make distclean, make venv.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3

# Bytecode caches. Where PYTHONDONTWRITEBYTECODE is set (a common container default), every Python
# process make test starts (test workers, some 60 kernels, servers, CLI runs) would compile costlib
# and the tests from source, and pytest would rewrite every test module again, run after run
# (docs/benchmarks.md: "matplotlib 3.10 and bytecode caches"). These targets let Python write its caches (__pycache__/,
# git-ignored) as it does by default. BYTECODE=0 keeps the caller's setting.
BYTECODE ?= 1
ifeq ($(BYTECODE),1)
unexport PYTHONDONTWRITEBYTECODE
endif
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# tools/serve.py builds the JupyterLab and Voilà command lines (127.0.0.1, a token, no news
# fetching, --allow-root when run as root); the browser tests start the servers with the same script.
SERVE := $(PY) tools/serve.py
# Extra arguments, e.g. LAB_ARGS="--no-browser --port 8899" (serve.py's options; put jupyter's own
# options after "--", e.g. LAB_ARGS="-- --ServerApp.iopub_data_rate_limit=1e10").
LAB_ARGS ?=
APP_ARGS ?=
# make room (or make app ROOM=1): the app for a workshop room, on this laptop's network address,
# with POOL kernels started ahead of the learners. E.g. make room POOL=15 APP_ARGS="--port 9000".
ROOM ?=
POOL ?= 30

# Extra arguments for the unit and browser test runs, e.g. make unit PYTEST_ARGS="-k packaging".
PYTEST_ARGS ?=
# Job slots of make test (below): the browser tests, the unit tests and the two nbval runs, all at once.
TEST_LANES ?= 4
# pytest-xdist for the unit tests (tests/ without tests/browser/): whole files per worker, so a
# module's fixtures (e.g. the one kernel of the exercise run) start once, but the largest files
# spread test by test (tests/conftest.py). UNIT_WORKERS=0 runs them in this process. The nbval
# plugin is not loaded there (its import costs ~2 CPU-s per process).
UNIT_WORKERS ?= 2
UNIT_XDIST := $(if $(filter-out 0,$(UNIT_WORKERS)),-n $(UNIT_WORKERS) --dist loadfile,)
# pytest-xdist for the nbval runs (one kernel per worker, whole files per worker). Off by default:
# make test and make checks run the two nbval runs side by side, one process each, which fills the
# 2 cores as well; workers would each pay pytest's and nbval's start-up again (measured: 113 CPU-s
# with 2 workers per run, 100 CPU-s with one process per run). NBVAL_WORKERS=2 for one run alone.
NBVAL_WORKERS ?= 1
NBVAL_XDIST_MIN ?= 4
NBVAL_TIMEOUT ?= 600
# Seconds a kernel may take to start (nbval's default, 60, was once too short on a busy machine).
NBVAL_KERNEL_STARTUP ?= 300
PYTEST := $(PY) -m pytest -p no:cacheprovider
# Never run nbval with MPLBACKEND=Agg: the kernel would then show no figures.
NBVAL  := env -u MPLBACKEND $(PYTEST) --nbval-current-env --nbval-cell-timeout=$(NBVAL_TIMEOUT) \
          --nbval-kernel-startup-timeout=$(NBVAL_KERNEL_STARTUP) --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: help venv lab app room book test lint unit browser checks nbval nbval-notebooks nbval-solutions \
        bench exercises screenshots clean distclean

help:
	@echo "make lab        install into $(VENV) and open the workbook in JupyterLab"
	@echo "make test       install into $(VENV) and run ruff, unit and browser tests, and nbval"
	@echo "make unit       the unit tests only (UNIT_WORKERS=2 processes); make browser: the browser tests"
	@echo "make app        serve the calculator app (Voilà, code hidden) on 127.0.0.1:8866"
	@echo "make room       serve the app to a workshop room (network address, token, POOL=30 warm kernels)"
	@echo "make book       build the workbook as a static website in _build/book/ (offline, saved outputs)"
	@echo "make screenshots  run the browser tests and refresh the README screenshots in docs/img/"
	@echo "make bench      run every benchmarks/bench_*.py"
	@echo "make exercises  regenerate the student notebooks in exercises/"
	@echo "make clean      remove caches and build files (keeps $(VENV))"
	@echo "make distclean  clean, and remove $(VENV) too"

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml is newer than the stamp.
# pip's output goes to $(VENV)/pip.log and is shown only if the install fails.
$(STAMP): pyproject.toml | $(PY)
	@echo "==> installing the project and its dependencies into $(VENV) (log: $(VENV)/pip.log)"
	@{ $(PY) -m pip install --upgrade pip && $(PY) -m pip install -e '.[notebooks,test,book]'; } \
	    > $(VENV)/pip.log 2>&1 || { tail -n 40 $(VENV)/pip.log; echo "pip install failed"; exit 1; }
	@touch $(STAMP)

venv: $(STAMP)

# Serves the whole repository (so solutions/ and exercises/ are reachable too) and opens the
# start notebook; token authentication is jupyter's default. E.g. LAB_ARGS="--no-browser --port 8899".
lab: $(STAMP)
	$(SERVE) lab --root "$(CURDIR)" $(LAB_ARGS)

# The calculator (app/calculator.ipynb) as a Voilà page: code hidden, 127.0.0.1, a token; closed
# pages' kernels are shut down and idle unused ones culled. ROOM=1 does what make room does.
app: $(STAMP)
	$(SERVE) $(if $(ROOM),room --pool $(POOL),app) --root "$(CURDIR)" $(APP_ARGS)

# The app for a workshop room: reachable from the network (it says so), URL and QR code printed.
room: $(STAMP)
	$(SERVE) room --pool $(POOL) --root "$(CURDIR)" $(APP_ARGS)

# Runs the browser tests (they must run: a missing Chromium fails here) and copies the chosen
# screenshots into docs/img/ for the README. Other screenshots stay in artifacts/browser/.
screenshots: $(STAMP)
	COSTLIB_REQUIRE_BROWSER=1 COSTLIB_SCREENSHOTS_DIR="$(CURDIR)/docs/img" $(PYTEST) tests/browser
	@ls -l docs/img/*.png

# After ruff, four steps at once (each step's output printed when it ends, -O): the browser tests,
# which mostly wait for servers, kernels and Chromium; the unit tests (2 workers); and the two nbval
# runs, which mostly wait on their kernels. None needs another's result, and together they keep both
# cores busy to the end (when the nbval runs waited for the unit tests, their minute at the end kept
# about 1.5 of the 2 cores busy).
# TEST_LANES=1 runs everything one after the other instead (a slow or crowded machine).
# -k: every step runs even if an earlier one failed (make still exits non-zero).
test: $(STAMP)
	@status=0; $(MAKE) --no-print-directory lint || status=1; \
	$(MAKE) --no-print-directory -k -j$(TEST_LANES) -O browser unit nbval-notebooks nbval-solutions \
	    || status=1; exit $$status

# The unit tests, then the two nbval runs side by side (one process each, waiting mostly on its kernel,
# so two fill the 2 cores), so that one run's start-up (pytest, first kernels) and last notebook overlap
# the other's work; each run's output is printed when it ends. Each step runs even if the one before
# failed. Run with a -j option (e.g. make -j1 checks), the nbval runs take that many job slots.
NBVAL_LANES ?= 2
checks: $(STAMP)
	@status=0; $(MAKE) --no-print-directory unit || status=1; \
	$(MAKE) --no-print-directory -k -O $(if $(filter -j%,$(MAKEFLAGS)),,-j$(NBVAL_LANES)) \
	    nbval-notebooks nbval-solutions || status=1; exit $$status

lint: $(STAMP)
	@echo "==> ruff check"
	$(PY) -m ruff check --no-cache .
	@echo "==> import contracts (layers, no cycles; pyproject.toml [tool.importlinter])"
	$(VENV)/bin/lint-imports --no-cache --no-logo

# Both fail if they collect nothing (pytest exit code 5).
unit: $(STAMP)
	@echo "==> unit tests (tests/ without tests/browser/, $(if $(UNIT_XDIST),$(UNIT_WORKERS) workers,1 process))"
	$(PYTEST) -p no:nbval tests --ignore=tests/browser $(UNIT_XDIST) $(PYTEST_ARGS)

# One Chromium, one JupyterLab and one Voilà server for the whole run (tests/browser/conftest.py).
# No browser test uses nbval or hypothesis: their plugins stay unloaded (3 s of pytest's start-up).
browser: $(STAMP)
	@echo "==> browser tests (tests/browser/)"
	$(PYTEST) -p no:nbval -p no:hypothesispytest tests/browser $(PYTEST_ARGS)

# run_nbval(folder, mode-flags): nbval over folder/*.ipynb only (never the .py twins);
# skipped, not failed, when the folder has no notebooks.
define run_nbval
	@shopt -s nullglob; files=($(1)/*.ipynb); \
	if [ $${#files[@]} -eq 0 ]; then \
	    echo "==> nbval $(1)/: no .ipynb files, skipped"; \
	else \
	    echo "==> nbval $(1)/ ($(if $(2),$(2),strict)): $${#files[@]} notebook(s)"; \
	    xdist=(); \
	    if [ $${#files[@]} -ge $(NBVAL_XDIST_MIN) ] && [ $(NBVAL_WORKERS) -gt 1 ]; then \
	        xdist=(-n $(NBVAL_WORKERS) --dist loadfile); \
	    fi; \
	    set -x; $(NBVAL) $(if $(2),$(2),--nbval) "$${xdist[@]}" "$${files[@]}"; \
	fi
endef

nbval: nbval-notebooks nbval-solutions

# Teaching notebooks: every cell must run; only cells tagged nbval-check-output are compared.
nbval-notebooks: $(STAMP)
	$(call run_nbval,notebooks,--nbval-lax)

# Solutions: strict, every stored output is compared.
nbval-solutions: $(STAMP)
	$(call run_nbval,solutions,)

bench: $(STAMP)
	@shopt -s nullglob; files=(benchmarks/bench_*.py); \
	if [ $${#files[@]} -eq 0 ]; then echo "no benchmarks/bench_*.py"; fi; \
	for f in "$${files[@]}"; do echo "==> $$f"; $(PY) "$$f"; done

# The workbook as a static website (Sphinx + myst-nb + sphinx-book-theme, configured in book/),
# from the notebooks' saved outputs: nothing is executed. Open it with
#   cd _build/book && python3 -m http.server 8000 --bind 127.0.0.1   (then http://127.0.0.1:8000/)
BOOK_OUT ?= _build/book
book: $(STAMP)
	$(PY) -m sphinx -b html -q -c book -d _build/doctrees . $(BOOK_OUT)
	@echo "==> $(BOOK_OUT)/index.html: cd $(BOOK_OUT) && python3 -m http.server 8000 --bind 127.0.0.1"

exercises: $(STAMP)
	$(PY) -m costlib.teaching.exercises

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache .hypothesis artifacts _build
	find . -path ./$(VENV) -prune -o \
	    \( -name __pycache__ -o -name .ipynb_checkpoints \) -type d -print0 | xargs -0 rm -rf

distclean: clean
	rm -rf $(VENV)
