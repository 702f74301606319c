# Every target bootstraps what it needs: a fresh clone runs `make dev` or `make test` directly.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt pyproject.toml | sha256sum | cut -c1-12)
NODE_STAMP := node_modules/.installed-$(shell cat package-lock.json | sha256sum | cut -c1-12)
CDK := npx --no-install cdk
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: setup dev sink test lint typecheck unit integration infra e2e synth deploy bench openapi clean

setup: $(STAMP) $(NODE_STAMP)

$(STAMP):
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt -e .
	rm -f $(VENV)/.installed-* && touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	rm -f node_modules/.installed-* && touch $@

## dev: start the local stack (moto + API gateway on 127.0.0.1:8080) in the foreground
dev: $(STAMP)
	$(PY) -m local

## sink: print what Slack, webhook and PagerDuty stand-ins would receive (http://127.0.0.1:9000)
sink: $(STAMP)
	$(PY) -m local.sink

## test: lint, type-check and run every test suite
test: setup lint typecheck
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy layers/common/python/dagy_ops lambdas stacks local app.py sdk/dagy examples

unit integration infra e2e: $(STAMP)
	$(PY) -m pytest tests/$@

## synth: synthesize every stack with cdk-nag's AwsSolutions checks, then cfn-lint the templates
synth: setup
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(CDK) synth --quiet
	$(VENV)/bin/cfn-lint cdk.out/*.template.json

## deploy: deploy every stack to the AWS account of your current credentials
##         (EMAIL_SENDER=alerts@yourdomain sets the verified SES sender of email alerts)
deploy: setup
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(CDK) deploy --all \
		$(if $(EMAIL_SENDER),--parameters DagyOps-Processing:EmailSender=$(EMAIL_SENDER))

## bench: print the benchmarks' ratios and counts
bench: $(STAMP)
	$(PY) bench/cold_start.py
	$(PY) bench/api_calls.py
	$(PY) bench/audit_query.py
	$(PY) bench/evaluator.py
	$(PY) bench/sla_sweep.py
	$(PY) bench/metrics_scrape.py
	$(PY) bench/run_local.py
	$(PY) bench/e2e_latency.py

## openapi: regenerate docs/openapi.json from the resolvers' models
openapi: $(STAMP)
	$(PY) -m local.openapi

clean:
	rm -rf $(VENV) node_modules cdk.out .build .pytest_cache .mypy_cache .ruff_cache
