"""`mfa-push`: what a project that uses this library needs besides `import pulumi_mfa_push`.

    mfa-push engine                  # bin directory of the pinned Pulumi engine (built when missing)
    mfa-push policy-pack             # directory of the policy pack shipped with the library
    mfa-push recover STACK [--cwd DIR]   # settle the pending creates of an interrupted `up`

Every failure is one line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from ._errors import ProviderError


def policy_pack_dir() -> Path:
    """The policy pack: inside the wheel, or policies/ in a checkout of the repository."""
    here = Path(__file__).resolve().parent
    shipped = here / "_policy_pack"
    return shipped if (shipped / "PulumiPolicy.yaml").exists() else here.parent.parent / "policies"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mfa-push", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "engine",
        help="print the bin directory of the pinned Pulumi engine, building it from the shipped Go module if needed",
    )
    sub.add_parser("policy-pack", help="print the directory of the policy pack, for `pulumi preview --policy-pack`")
    rec = sub.add_parser(
        "recover", help="adopt what an interrupted `pulumi up` created, then clear its pending creates"
    )
    rec.add_argument("stack", help="the stack: its short name or organization/project/stack")
    rec.add_argument("--cwd", type=Path, default=None, help="the project's directory (default: the current one)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "engine":
            from . import _engine

            print(_engine.ensure())
        elif args.command == "policy-pack":
            print(policy_pack_dir())
        elif args.command == "recover":
            from . import _recover

            for line in _recover.recover(args.stack, cwd=args.cwd):
                print(line)
            print("now run: pulumi refresh, then pulumi up")
    except ProviderError as exc:
        print(f"mfa-push {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except (OSError, ValueError, KeyError) as exc:
        print(f"mfa-push {args.command}: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"mfa-push {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
