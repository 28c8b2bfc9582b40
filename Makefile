# Two commands for users: `make report` and `make test`. Everything else is plumbing.
# Needs only Python >= 3.11 and make; installs into ./.venv from the hash-locked requirements.lock.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_STORE := build/demo-store

export UV_PYTHON_DOWNLOADS := never
export UV_NO_PROGRESS := 1
# Installs say one line per step; uv still prints every error. `make install V=1` shows uv's full output.

.PHONY: install report test test-fast lock clean demo-store pdf-tools lab

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@# the same install without make: python -m workbench.install (standard library only; any OS)
	@$(PYTHON) -m workbench.install --force $(if $(V),-v,)

demo-store: $(DEMO_STORE)/catalogue.json

$(DEMO_STORE)/catalogue.json: corpus/demo/articles.jsonl corpus/demo/outlets.yaml $(STAMP)
	@# the demo store is derived from corpus/demo: rebuilt beside the old one, swapped in when complete
	@rm -rf $(DEMO_STORE).new
	@$(BIN)/workbench corpus import corpus/demo/articles.jsonl --store $(DEMO_STORE).new --quiet
	@rm -rf $(DEMO_STORE) && mv $(DEMO_STORE).new $(DEMO_STORE)
	@touch $@

# Headless Chromium prints the HTML report to PDF. Installed with apt where we are root; otherwise
# a hint is printed and reports come without PDF (the HTML is complete).
pdf-tools:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
	    || command -v google-chrome >/dev/null 2>&1 || [ -n "$$WORKBENCH_CHROMIUM" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Chromium for PDF reports (apt-get install chromium) ..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	        chromium poppler-utils fonts-dejavu-core >/dev/null) || echo "could not install Chromium: reports will be HTML only"; \
	else \
	    echo "Chromium not found: reports will be HTML only. For PDF: sudo apt-get install chromium"; \
	fi

# The report prints a line as each section starts and ends (on a terminal; see workbench/progress.py).
report: demo-store pdf-tools
	@$(BIN)/workbench corpus info --store $(DEMO_STORE)
	@$(BIN)/workbench report

# JupyterLab of this environment at notebooks/ (tutorials first), with the project's kernel.
lab: demo-store
	@$(BIN)/workbench lab

# Tests run on every core (pytest-xdist); a module's tests stay on one worker (module fixtures built once).
test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadfile

# While developing: everything but the end-to-end runs marked slow (whole reports, real corpora, kill tests).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadfile -m "not slow"

# Re-resolve the lock after editing pyproject.toml (torch/transformers are overridden away there).
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --group dev --universal --python-version 3.11 \
	    --generate-hashes --quiet -o requirements.lock

clean:
	rm -rf $(VENV) build
