# fedianon: `make run` starts an instance, `make test` runs every test on SQLite and PostgreSQL.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP_FLAGS ?= --quiet --disable-pip-version-check
MIGRATIONS_DB ?= /tmp/fedianon-makemigrations-$(shell id -u)-$(notdir $(CURDIR)).sqlite3
export PYTHONPATH := $(CURDIR)

.PHONY: run test test-sqlite test-postgres lint format bench migrations install install-test browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install $(PIP_FLAGS) -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install $(PIP_FLAGS) -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## run: install, create first-run secrets, migrate the embedded SQLite database, serve on :8000
run: $(VENV)/.installed
	$(BIN)/fedianon migrate
	$(BIN)/fedianon serve

## browser: Debian's chromium for the browser tests (installed only when missing)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -q chromium >/dev/null 2>&1 || { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium >/dev/null; }; }

## test: lint, then the whole suite on SQLite and on PostgreSQL
test: install-test browser lint test-sqlite test-postgres

test-sqlite: install-test
	FEDIANON_TEST_DB=sqlite $(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

test-postgres: install-test
	FEDIANON_TEST_DB=postgres $(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## bench: benchmarks, each printed with its floor measured in the same run
bench: install-test
	$(BIN)/python -m bench

## migrations: write a new migration after changing models (Tortoise's own autodetector)
migrations: install-test
	FEDIANON_DATABASE_URL=sqlite://$(MIGRATIONS_DB) $(BIN)/tortoise -c fedianon.tortoise_conf.TORTOISE_ORM migrate >/dev/null
	FEDIANON_DATABASE_URL=sqlite://$(MIGRATIONS_DB) $(BIN)/tortoise -c fedianon.tortoise_conf.TORTOISE_ORM makemigrations $(if $(NAME),--name $(NAME),)
	# Tortoise's writer drops generated=False on snowflake keys; put it back.
	sed -i "s/fields.BigIntField(primary_key=True, default=new_id/fields.BigIntField(primary_key=True, generated=False, default=new_id/" migrations/0*.py
	rm -f $(MIGRATIONS_DB)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
