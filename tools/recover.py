"""Recover a stack of this repository after an interrupted deploy: `mfa-push recover` with the
project's environment (its .state/ backend and dev passphrase).

    .venv/bin/python tools/recover.py STACK

See `pulumi_mfa_push._recover` for what it does; other projects run `mfa-push recover STACK`."""

from __future__ import annotations

import sys
from pathlib import Path

import dev  # tools/, the script's directory, is on sys.path
from pulumi_mfa_push._recover import RecoverError
from pulumi_mfa_push._recover import recover as _recover


def recover(stack: str, cwd: Path = dev.ROOT, env: dict[str, str] | None = None) -> list[str]:
    return _recover(stack, cwd=cwd, env=env or dev.pulumi_env())


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        for line in recover(argv[0]):
            print(line)
    except (RecoverError, dev.SetupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("now run: pulumi refresh, then pulumi up")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
