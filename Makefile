# The two commands of the README: `make run` and `make test`. Both install first.
CONFIG ?= development.ini
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test worker bench clean

install:
	bash scripts/install.sh

run: install
	$(BIN)/openshot-api initdb $(CONFIG)
	$(BIN)/openshot-api create-user $(CONFIG) --username demo-cloud --password demo-password --admin --if-missing
	$(BIN)/pserve $(CONFIG)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

worker: install
	$(BIN)/openshot-api worker $(CONFIG)

bench: install
	$(BIN)/python benchmarks/render.py

clean:
	rm -rf var .pytest_cache
