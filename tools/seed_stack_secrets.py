"""Store a stack's secrets as Pulumi secure values from a JSON file of `config path -> value`.

    .venv/bin/python tools/seed_stack_secrets.py STACK FILE.json

Values are encrypted with the stack's passphrase (PULUMI_CONFIG_PASSPHRASE, else the documented
dev passphrase) and written into stacks/Pulumi.<STACK>.yaml; the JSON file should then be deleted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import dev  # tools/, the script's directory, is on sys.path


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    stack, path = argv
    values: dict[str, str] = json.loads(Path(path).read_text())
    env = dev.pulumi_env()
    dev.select_stack(stack, env)
    pulumi = dev.pulumi_bin(env)
    for key, value in values.items():
        if key.startswith("_"):
            continue  # a comment in the file
        args = [pulumi, "config", "set", "--secret", "--stack", stack, "--non-interactive"]
        if "[" in key or key.count(":") == 1 and "." in key.split(":", 1)[1]:
            args.insert(4, "--path")
        args.append(key)
        out = subprocess.run(args, input=value, cwd=dev.ROOT, env=env, text=True, capture_output=True, check=False)
        if out.returncode != 0:
            print(f"error: could not set {key}: {out.stderr.strip()}", file=sys.stderr)
            return 1
        print(f"set {key} (secret)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
