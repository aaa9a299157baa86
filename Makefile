# The two set-up commands (see README): `make demo` and `make test`.
.PHONY: bootstrap demo test preview deploy destroy refresh emulator emulator-stop lint bench

PY := .venv/bin/python
STACK ?= dev
# Where state lives: `file` (.state/backend, or PULUMI_BACKEND_URL when set) or `postgres` (a
# local PostgreSQL under .state/postgres, started when needed; `python tools/dev.py postgres stop`).
STATE ?= file
DEV := $(PY) tools/dev.py --state $(STATE)
# Bootstrap installs Debian's postgresql package only when asked: for the suite and STATE=postgres.
MFA_PUSH_POSTGRES ?= $(if $(filter postgres,$(STATE)),1,)

bootstrap:
	@MFA_PUSH_POSTGRES=$(MFA_PUSH_POSTGRES) bash tools/bootstrap.sh >/dev/null

demo: bootstrap
	@$(DEV) demo

# The suite's shared-state tests run a real PostgreSQL (tests/e2e/test_team_state.py).
test: MFA_PUSH_POSTGRES = 1
# The Go language host (tools/pulumi/langhost) first: go vet, gofmt, go test. Same build flags as
# the engine build, so the host is tested as built and bootstrap's Go build cache is reused.
test: bootstrap
	@cd tools/pulumi && go vet -trimpath -tags osusergo,grpcnotrace ./langhost \
	  && unformatted="$$(gofmt -l langhost)" \
	  && { [ -z "$$unformatted" ] || { echo "gofmt: run gofmt -w on: $$unformatted" >&2; exit 1; }; } \
	  && go test -trimpath -tags osusergo,grpcnotrace -count=1 -timeout 5m ./langhost
	@$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

preview: bootstrap
	@$(DEV) preview $(STACK)

deploy: bootstrap
	@$(DEV) deploy $(STACK)

destroy: bootstrap
	@$(DEV) destroy $(STACK)

refresh: bootstrap
	@$(DEV) refresh $(STACK)

emulator: bootstrap
	@$(PY) tools/dev.py emulator start

emulator-stop:
	@$(PY) tools/dev.py emulator stop

lint: bootstrap
	@$(PY) -m ruff check .
	@$(PY) -m ruff format --check .
	@for target in provider/pulumi_mfa_push emulator/mfa_push_emulator policies tools stacks; do \
		$(PY) -m mypy --strict $$target || exit 1; done
	@cd tools/pulumi && go vet -trimpath -tags osusergo,grpcnotrace ./langhost \
	  && unformatted="$$(gofmt -l langhost)" \
	  && { [ -z "$$unformatted" ] || { echo "gofmt: run gofmt -w on: $$unformatted" >&2; exit 1; }; }

bench: bootstrap
	@$(PY) -m bench $(BENCH_ARGS)
