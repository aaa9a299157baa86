"""More than one dynamic-provider host, when asked: `mfa-push:providerHosts`.

The engine runs every dynamic resource's create, read, update and delete in one host process,
upstream's `python -m pulumi.dynamic`, whose gRPC server has four worker threads, a number
fixed in its `main()` with no setting. So at most four API calls are in flight, whatever
`--parallel` says. The supported way past that is Pulumi's own: explicit provider resources.
Each `pulumi:providers:pulumi-python` resource is a provider instance that the engine starts as
a process of its own, so N of them serve 4 x N calls at once. Moving a resource between them
(or from the default provider) changes no input and replaces nothing.

The engine hands the default provider the whole stack config; an explicit one gets only its
inputs. So each host is given the stack's settings of our APIs (`powerauth:*`, `pingone:*`,
`pingid:*`), secrets as secrets (state keeps them encrypted). A changed setting updates the
hosts in place: nothing of theirs is replaced.

Each host is a process to start (about a third of a second of CPU) and fetches its own token,
and refresh reads are shared only within a host, so the default stays one host: it pays off
for large stacks deployed with a high `--parallel`."""

from __future__ import annotations

import functools
import itertools

import pulumi
import pulumi.runtime

from .registry import API_PACKAGES

#: The stack-config key (in the `mfa-push` namespace of any project).
SETTING = "mfa-push:providerHosts"
MAX_HOSTS = 32


def count() -> int:
    raw = pulumi.Config("mfa-push").get("providerHosts")
    if raw is None or raw.strip() == "":
        return 1
    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_HOSTS:
        # pulumi.RunError: the engine shows the message alone, without a traceback.
        raise pulumi.RunError(
            f"{SETTING} must be a whole number from 1 to {MAX_HOSTS} (provider processes, 4 API calls each); "
            f"run `pulumi config set {SETTING} 4`, or remove it for one"
        )
    return value


@functools.cache
def _pool() -> tuple[pulumi.ProviderResource, ...]:
    hosts = count()
    if hosts == 1:
        return ()
    return tuple(pulumi.ProviderResource("pulumi-python", f"mfa-push-host-{i}", settings()) for i in range(hosts))


def settings() -> dict[str, object]:
    """The stack config our providers read, as the default provider would get it."""
    config = pulumi.runtime.get_config_env()
    return {
        key: pulumi.Output.secret(value) if pulumi.runtime.is_config_secret(key) else value
        for key, value in sorted(config.items())
        if key.split(":", 1)[0] in API_PACKAGES
    }


#: Resources take the hosts in turn, in the order the program declares them: the engine starts
#: steps in that order, so each host gets every Nth and none waits while another is idle (a hash
#: of the name left hosts a third apart). A resource that changes host changes nothing else.
_turn = itertools.count()


def host_for(opts: pulumi.ResourceOptions) -> pulumi.ResourceOptions:
    """`opts` with the next host, unless the program chose a provider itself."""
    if opts.provider is not None or opts.providers:
        return opts
    pool = _pool()
    if not pool:
        return opts
    host = pool[next(_turn) % len(pool)]
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(provider=host))
