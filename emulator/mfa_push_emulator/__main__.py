"""Allow ``python -m mfa_push_emulator serve``."""

from mfa_push_emulator.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
