# The two set-up commands (see README): `make demo` and `make test`.
.PHONY: bootstrap demo test preview deploy destroy refresh emulator emulator-stop lint bench

PY := .venv/bin/python
STACK ?= dev

bootstrap:
	@bash tools/bootstrap.sh >/dev/null

demo: bootstrap
	@$(PY) tools/dev.py demo

test: bootstrap
	@$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

preview: bootstrap
	@$(PY) tools/dev.py preview $(STACK)

deploy: bootstrap
	@$(PY) tools/dev.py deploy $(STACK)

destroy: bootstrap
	@$(PY) tools/dev.py destroy $(STACK)

refresh: bootstrap
	@$(PY) tools/dev.py refresh $(STACK)

emulator: bootstrap
	@$(PY) tools/dev.py emulator start

emulator-stop:
	@$(PY) tools/dev.py emulator stop

lint: bootstrap
	@$(PY) -m ruff check .
	@$(PY) -m ruff format --check .
	@for target in provider/pulumi_mfa_push emulator/mfa_push_emulator policies tools stacks; do \
		$(PY) -m mypy --strict $$target || exit 1; done

bench: bootstrap
	@$(PY) -m bench $(BENCH_ARGS)
