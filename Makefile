# The front door: `make demo` runs the Dengzhou baseline, `make test` runs every test.
# Both create .venv and install the project (pinned by constraints.txt) when needed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
REPS   ?= 5
# Debian packages: a CJK font so figures render Chinese, Chromium for the report's browser test.
SYSTEM_PACKAGES := fonts-noto-cjk chromium

.PHONY: demo app test test-fast system-packages constraints clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

# Installs the Debian packages when missing and we may (root, or sudo without a password);
# elsewhere it says what is missing and carries on: figures then fall back to English labels
# and the browser test is skipped.
system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "note: not a Debian system; install a CJK font and Chromium yourself for Chinese figures and the browser test"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else \
	  echo "note: missing Debian packages:$$missing (run: sudo apt-get install$$missing)"; exit 0; fi; \
	echo "installing Debian packages:$$missing"; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null

demo: $(STAMP) system-packages
	$(BIN)/courtsim run scenarios/dengzhou_2022.toml --reps $(REPS) --report

# The what-if page (courtsim app) on http://127.0.0.1:8501/; SCENARIO=... for another base.
SCENARIO ?= scenarios/dengzhou_2022.toml
app: $(STAMP) system-packages
	$(BIN)/courtsim app $(SCENARIO)

test: $(STAMP) system-packages
	$(BIN)/python -m pytest -n 2 --durations=10

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 -m "not slow"

constraints: $(STAMP)
	{ echo "# Exact versions the results in this repository were produced with (pip install -c)."; \
	  echo "# Regenerate with: make constraints"; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v '^courtsim'; } > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
