"""``mfa-push-emulator serve``: bind first (clear error if busy), then hand the socket to uvicorn."""

from __future__ import annotations

import argparse
import errno
import importlib.util
import os
import socket
import ssl
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mfa_push_emulator._tls import TlsFiles

#: What the emulator runs on: installed by the `emulator` extra, not by the library.
EXTRA_MODULES = ("fastapi", "uvicorn", "platformdirs", "re2")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
#: More host names to answer for, besides loopback ones: comma- or space-separated.
ALLOW_HOSTS_ENV = "MFA_PUSH_EMULATOR_ALLOW_HOSTS"
WILDCARD_ADDRESSES = ("0.0.0.0", "::", "")  # noqa: S104 - names, compared with --host


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mfa-push-emulator", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the emulator (PowerAuth, PingOne, PingID) on one port")
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"interface to bind (default {DEFAULT_HOST})")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to bind (default {DEFAULT_PORT})")
    serve.add_argument("--data-dir", type=Path, default=None, help="directory for the SQLite file")
    serve.add_argument(
        "--service-base-url",
        default="",
        help="PowerAuth serviceBaseUrl returned for applications (default: derived from the request)",
    )
    serve.add_argument("--token-ttl-seconds", type=int, default=3600, help="PingOne access token lifetime")
    serve.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    serve.add_argument("--no-access-log", action="store_true", help="disable the per-request access log")
    serve.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with a local CA and certificate made once in DATA_DIR/tls (clients trust tls/ca.pem)",
    )
    serve.add_argument("--tls-cert", type=Path, default=None, help="serve HTTPS with this PEM certificate (chain)")
    serve.add_argument("--tls-key", type=Path, default=None, help="the PEM private key of --tls-cert")
    serve.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help=(
            "also answer requests whose Host is NAME (repeatable; '*' for any, which gives up the protection "
            f"against DNS rebinding); loopback names always are, and so is --host unless it is a wildcard; "
            f"env {ALLOW_HOSTS_ENV} adds more, comma-separated"
        ),
    )
    serve.add_argument(
        "--max-body-bytes",
        type=int,
        default=DEFAULT_MAX_BODY_BYTES,
        metavar="N",
        help=f"refuse request bodies over N bytes with 413 (default {DEFAULT_MAX_BODY_BYTES})",
    )
    return parser


def allowed_hosts(args: argparse.Namespace) -> list[str]:
    """--allow-host names, the env's, and --host itself when it names one address."""
    names = list(args.allow_host) + os.environ.get(ALLOW_HOSTS_ENV, "").replace(",", " ").split()
    if args.host not in WILDCARD_ADDRESSES:
        names.append(args.host)
    return names


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind before starting uvicorn so a busy port is reported by us, not as a traceback."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto says
    # TCP, and without it every response stalls ~40 ms on Nagle + delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def missing_extra() -> str | None:
    """One line saying how to install the emulator, when its dependencies are absent."""
    missing = [name for name in EXTRA_MODULES if importlib.util.find_spec(name) is None]
    if not missing:
        return None
    return (
        f"mfa-push-emulator needs {', '.join(missing)}, which the library alone does not install: "
        "pip install 'pulumi-mfa-push[emulator]'"
    )


def tls_files(args: argparse.Namespace, data_dir: Path) -> TlsFiles | None:
    """What to serve HTTPS with (None: plain http); `TlsProblem` says what is wrong in one line."""
    from mfa_push_emulator._tls import TlsFiles, ensure_local_tls

    if args.tls_cert or args.tls_key:
        if not (args.tls_cert and args.tls_key):
            raise TlsProblem("--tls-cert and --tls-key go together: give the certificate and its private key")
        files = TlsFiles(cert=args.tls_cert, key=args.tls_key)
    elif args.tls:
        try:
            files = ensure_local_tls(data_dir)
        except OSError as exc:
            raise TlsProblem(f"cannot write the local CA under {data_dir}: {exc.strerror or exc}") from None
    else:
        return None
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(files.cert, files.key)
    except (OSError, ssl.SSLError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise TlsProblem(f"cannot serve HTTPS with {files.cert} and {files.key}: {reason}") from None
    return files


class TlsProblem(Exception):
    """A TLS option that cannot be served, said in one line."""


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from mfa_push_emulator._server import Server
    from mfa_push_emulator._settings import Settings
    from mfa_push_emulator.app import create_app, default_data_dir

    data_dir = args.data_dir or default_data_dir()
    try:
        tls = tls_files(args, data_dir)
    except TlsProblem as exc:
        print(str(exc), file=sys.stderr)
        return 2
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(
                f"port {args.port} on {args.host} is already in use: stop the other process or pass --port N",
                file=sys.stderr,
            )
        else:
            print(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    settings = Settings(service_base_url=args.service_base_url, token_ttl_seconds=args.token_ttl_seconds)
    app = create_app(data_dir, settings, tls=tls, allowed_hosts=allowed_hosts(args), max_body_bytes=args.max_body_bytes)
    host = f"[{args.host}]" if ":" in args.host else args.host
    scheme = "https" if tls else "http"
    trust = f", CA: {tls.ca}" if tls and tls.ca else ""
    print(
        f"mfa-push-emulator listening on {scheme}://{host}:{args.port} (data: {data_dir}{trust})",
        file=sys.stderr,
        flush=True,
    )
    # uvicorn's access log prints method, path and status only: never bodies or headers.
    config = uvicorn.Config(
        app,
        log_level=args.log_level,
        access_log=not args.no_access_log,
        server_header=False,
        proxy_headers=False,
        ssl_certfile=tls.cert if tls else None,
        ssl_keyfile=tls.key if tls else None,
    )
    server = Server(config)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    problem = missing_extra()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    if args.command == "serve":
        if args.token_ttl_seconds < 1:
            print("--token-ttl-seconds must be a positive integer", file=sys.stderr)
            return 2
        if args.max_body_bytes < 1:
            print("--max-body-bytes must be a positive integer", file=sys.stderr)
            return 2
        return serve(args)
    return 2  # pragma: no cover - argparse enforces the subcommand
