# Cadence — the README's two commands are `make run` and `make test`; the rest are the
# named steps behind them. Everything installs from the lock files in requirements/.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON310 ?= $(shell pyenv prefix 3.10.13 2>/dev/null || echo /usr)/bin/python3.10
BOT_PY := .venv/bin/python
API_PY := .venv-api/bin/python
UV := .venv/bin/uv
RASA := PYTHONPATH=. TF_CPP_MIN_LOG_LEVEL=2 .venv/bin/rasa
DATA_DIR ?= var
export CADENCE_DATA_DIR := $(DATA_DIR)
# No usage telemetry from a health app (and no network to send it to in CI).
export RASA_TELEMETRY_ENABLED := false

BOT_DATA := $(shell find data bot/domain -name '*.yml' 2>/dev/null) config.yml
MODEL_STAMP := models/.trained
SPACY_STAMP := build/spacy/cadence_en/patterns.sha256

.PHONY: help run run-scaled test install spacy validate train migrate secrets endpoints shell lint \
        test-api test-bot test-stories bench clean

help:
	@echo "make run    — set up what is missing, then start Cadence at http://localhost:8000"
	@echo "make test   — set up what is missing, then run the whole test suite"
	@echo "named steps: install spacy validate train migrate shell lint bench clean"

# --- environments -----------------------------------------------------------------------
.venv/.installed: requirements/bot.txt
	test -x $(BOT_PY) || $(PYTHON310) -m venv .venv
	$(BOT_PY) -m pip install --quiet --disable-pip-version-check uv
	$(UV) pip sync --quiet --python $(BOT_PY) requirements/bot.txt
	touch $@

.venv-api/.installed: requirements/api.txt .venv/.installed
	test -x $(API_PY) || $(PYTHON310) -m venv .venv-api
	$(UV) pip sync --quiet --python $(API_PY) requirements/api.txt
	touch $@

# axe-core for the browser tests (uPlot is vendored into web/ by bin/build-web).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: .venv/.installed .venv-api/.installed node_modules/.installed

# --- bot --------------------------------------------------------------------------------
$(SPACY_STAMP): bot/nlp/patterns.yml bot/nlp/build.py .venv/.installed
	TF_CPP_MIN_LOG_LEVEL=2 $(BOT_PY) -m bot.nlp.build build/spacy/cadence_en

spacy: $(SPACY_STAMP)

validate: .venv/.installed $(SPACY_STAMP)
	$(RASA) data validate --domain bot/domain --data data --config config.yml

# Retrains only when data, domain, config or the spaCy patterns changed; Rasa's own
# fingerprinting then skips the parts of the graph that are unchanged.
$(MODEL_STAMP): $(BOT_DATA) $(SPACY_STAMP) $(wildcard bot/nlu/*.py)
	$(MAKE) validate
	$(RASA) train --domain bot/domain --data data --config config.yml --out models
	touch $@

train: $(MODEL_STAMP)

# --- API --------------------------------------------------------------------------------
migrate: .venv-api/.installed secrets
	.venv-api/bin/alembic -c api/alembic.ini upgrade head

secrets:
	@python3 bin/dev-secrets $(DATA_DIR)/dev.env

endpoints: .venv/.installed secrets
	set -a; source $(DATA_DIR)/dev.env; set +a; $(BOT_PY) -m bot.endpoints build/endpoints.yml

# --- the two commands -------------------------------------------------------------------
run: install train migrate endpoints
	@echo ""
	@echo "  Cadence is starting: open http://localhost:$${API_PORT:-8000} (Ctrl-C stops them all)"
	@echo ""
	$(BOT_PY) bin/supervise Procfile $(DATA_DIR)/dev.env

test: install train
	$(MAKE) -k test-api test-stories test-bot

test-api:
	.venv-api/bin/pytest tests/api -q

test-stories:
	rm -rf build/test-stories && mkdir -p build/test-stories
	cp tests/test_*stories.yml build/test-stories/
	$(RASA) test core --model models --stories build/test-stories \
	    --fail-on-prediction-errors --out build/results/stories

# Everything that runs in .venv: actions, knowledge, safety, e2e, browser, scaled
# (the scaled suite skips itself, saying why, where PostgreSQL or Redis is missing).
test-bot:
	$(BOT_PY) -m pytest tests --ignore=tests/api -q -p no:cacheprovider

# Two Rasa instances, two action servers and two API workers on PostgreSQL + Redis.
run-scaled: install train secrets
	$(BOT_PY) bin/run-scaled

# --- helpers ----------------------------------------------------------------------------
shell: .venv-api/.installed
	$(API_PY) bin/chat

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check . || true

bench: install train
	$(BOT_PY) -m bench.run
	$(BOT_PY) -m bench.load
	$(BOT_PY) -m bench.training
	$(BOT_PY) -m bench.nlu_eval
	$(BOT_PY) -m bench.safety_eval
	$(BOT_PY) -m bench.learn_unseen bench/data/learn_unseen.yml
	$(BOT_PY) -m bench.learn_unseen bench/data/learn_unseen_2.yml
	$(API_PY) -m bench.insights_latency

clean:
	rm -rf build models $(DATA_DIR)/*.db
