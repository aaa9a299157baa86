# The two set-up commands (see README): `make demo` and `make test`.
.PHONY: bootstrap demo test preview deploy destroy refresh emulator emulator-stop lint bench

PY := .venv/bin/python
STACK ?= dev

bootstrap:
	@bash tools/bootstrap.sh >/dev/null

demo: bootstrap
	@$(PY) tools/dev.py demo

# The Go language host (tools/pulumi/langhost) first: go vet, gofmt, go test. Same build flags as
# the engine build, so the host is tested as built and bootstrap's Go build cache is reused.
test: bootstrap
	@cd tools/pulumi && go vet -trimpath -tags osusergo,grpcnotrace ./langhost \
	  && unformatted="$$(gofmt -l langhost)" \
	  && { [ -z "$$unformatted" ] || { echo "gofmt: run gofmt -w on: $$unformatted" >&2; exit 1; }; } \
	  && go test -trimpath -tags osusergo,grpcnotrace -count=1 -timeout 5m ./langhost
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
	@cd tools/pulumi && go vet -trimpath -tags osusergo,grpcnotrace ./langhost \
	  && unformatted="$$(gofmt -l langhost)" \
	  && { [ -z "$$unformatted" ] || { echo "gofmt: run gofmt -w on: $$unformatted" >&2; exit 1; }; }

bench: bootstrap
	@$(PY) -m bench $(BENCH_ARGS)
