# The front door: `make demo` runs the Dengzhou baseline, `make test` runs every test.
# Both create .venv and install the project (pinned by constraints.txt) when needed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
REPS   ?= 5

.PHONY: demo test test-fast constraints clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/courtsim run scenarios/dengzhou_2022.toml --reps $(REPS) --report

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --durations=10

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 -m "not slow"

constraints: $(STAMP)
	{ echo "# Exact versions the results in this repository were produced with (pip install -c)."; \
	  echo "# Regenerate with: make constraints"; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v '^courtsim'; } > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
