"""The lifecycle shared by every resource: check and diff come from the schema; each
resource supplies create, read, update and delete for its API, with two helpers: `create_once`
for creates that are not idempotent, `refreshed` for what a read returns."""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    DiffResult,
    ReadResult,
    ResourceProvider,
)
from pulumi.dynamic.dynamic import PROVIDER_KEY, serialize_provider

from . import _hosts, _lazy, _lifetime, _quiet, _schema, _settings
from ._errors import ProviderError, answer_may_be_lost
from ._schema import Schema

if TYPE_CHECKING:
    from . import _transport
else:  # the HTTP stack: imported by the first API call, not by the program or a preview
    _transport = _lazy.module("pulumi_mfa_push._transport")

S = TypeVar("S", bound=Schema)
T = TypeVar("T")

#: How many times a create whose answer may have been lost is sent, in all.
CREATE_ATTEMPTS = 4


def create_once(post: Callable[[], T], find: Callable[[], T | None]) -> T:
    """Send a create that the server does not deduplicate without ever creating twice.

    `post` sends it once. When an attempt fails in a way that says nothing about whether the
    server acted (see `answer_may_be_lost`), `find` looks for what it may have made, and only when
    nothing is found is the create sent again, after a bounded backoff, at most `CREATE_ATTEMPTS`
    times in all. A refusal of a later attempt is also checked with `find` first: the server may be
    refusing to make again what an earlier attempt made. `find` returns the object, None, or raises
    an error that explains better. A refusal of the first attempt is the caller's to handle."""
    for attempt in range(1, CREATE_ATTEMPTS + 1):
        try:
            return post()
        except ProviderError as err:
            lost = answer_may_be_lost(err)
            if not lost and attempt == 1:
                raise
            found = find()
            if found is not None:
                return found
            if not lost or attempt == CREATE_ATTEMPTS:
                raise
        _transport.sleep(min(2.0**attempt, 8.0))
    raise AssertionError("unreachable")


#: Shown once for each resource declared with `replace_on_changes`.
REPLACE_ON_CHANGES_IGNORED = (
    "replace_on_changes is ignored by dynamic resources (their provider host does not tell the engine "
    "which properties changed): immutable properties already force a replacement; to replace this "
    "object on demand, run `pulumi up --replace '{urn}'`"
)


def warn(message: str) -> None:
    """A warning the engine shows next to the resource (the plugin's stderr)."""
    print(f"warning: {message}", file=sys.stderr, flush=True)


class SchemaProvider(ResourceProvider, Generic[S]):
    """A dynamic provider whose check and diff are derived from `schema`, the model `S` of its inputs.

    Instances hold no state: settings and HTTP clients live at module level in the
    provider process, so the pickled provider is tiny and carries no credentials."""

    schema: type[S]
    serialize_as_secret_always = False

    @classmethod
    @functools.cache
    def pickled(cls) -> str:
        """The provider as `__provider` holds it: made once per class (it pickles by reference to
        the class and holds no secret), not once per resource."""
        return str(serialize_provider(cls()))

    def configure(self, req: ConfigureRequest) -> None:
        _quiet.install()
        if _quiet.in_provider_host():
            _lifetime.follow_parent()
        _settings.remember(req.config)

    @classmethod
    def required_settings(cls) -> tuple[_settings.Setting, ...]:
        """The settings this resource's API cannot work without: `REQUIRED` of the `_config`
        module of the API package the provider is declared in (not of its HTTP client, so that
        a check never imports the HTTP stack)."""
        package = cls.__module__.rpartition(".")[0]
        required: tuple[_settings.Setting, ...] = importlib.import_module(f"{package}._config").REQUIRED
        return required

    # -- preview ---------------------------------------------------------------------
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        if _settings.in_stack():
            # A missing setting fails the preview, not the `up` after it. An error rather than a
            # CheckFailure: the engine shows it as the one line it is, without "resource 'x' has a
            # problem" (the fix is in stack config, not in this resource's arguments).
            _settings.require_all(self.required_settings())
        if news == _olds:
            # Unchanged since the last deployment, whose check accepted and normalized these very
            # inputs: validating them again (the schema, PEM keys) would only cost time, on every
            # resource of every preview.
            return CheckResult(news, [])
        inputs, failures = _schema.validate(self.schema, news)
        if not failures:
            failures = [_schema.Failure(p, r) for p, r in self.check_more(inputs)]
        return CheckResult(inputs, [CheckFailure(f.prop, f.reason) for f in failures])

    def check_more(self, inputs: dict[str, Any]) -> list[tuple[str, str]]:
        """Cross-field rules the model cannot express alone."""
        return []

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes = _schema.changed_fields(self.schema, olds, news)
        replaces = [c for c in changes if c in self.schema.immutable_fields()]
        replaces += self.replaces_more(olds, news, changes)
        dbr = self.delete_before_replace(olds, news) if replaces else None
        return DiffResult(changes=bool(changes), replaces=sorted(set(replaces)), delete_before_replace=dbr)

    def replaces_more(self, olds: dict[str, Any], news: dict[str, Any], changes: list[str]) -> list[str]:
        return []

    def delete_before_replace(self, olds: dict[str, Any], news: dict[str, Any]) -> bool | None:
        return None

    # -- apply -----------------------------------------------------------------------
    def inputs_of(self, props: dict[str, Any]) -> S:
        return _schema.parse(self.schema, props)

    @staticmethod
    def outputs(inputs: Schema, computed: dict[str, Any]) -> dict[str, Any]:
        outs = inputs.model_dump(mode="json", exclude_none=True)
        for name in inputs.write_only_fields():
            if name in outs:
                outs[_schema.digest_key(name)] = _schema.digest(outs.pop(name))
        outs.update({k: v for k, v in computed.items() if v is not None})
        return outs

    def find_existing(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        """The object a create with these inputs would have made, if it exists: `(id, outputs)`.

        Used to recover from an interrupted deploy (tools/recover.py). None means creating
        again is safe (the create is idempotent) or that nothing was found."""
        return None

    @staticmethod
    def refreshed(id_: str, props: dict[str, Any], read: dict[str, Any], drop: Iterable[str] = ()) -> ReadResult:
        """What a read found: the state's properties (without the engine's `__provider`) updated
        with `read`, what the API returned. A None in `read` means "not returned": the state's value
        stays (write-only secrets, say). `drop` lists the properties the API shows are unset."""
        outs = {k: v for k, v in props.items() if k != "__provider"}
        outs.update({k: v for k, v in read.items() if v is not None})
        for key in drop:
            outs.pop(key, None)
        return ReadResult(id_, outs)

    @staticmethod
    def gone() -> ReadResult:
        """The object was deleted outside Pulumi: drop it from the stack."""
        return ReadResult(None, {})


class DynamicResource(pulumi.dynamic.Resource):
    """A dynamic resource whose secret inputs and outputs follow its schema.

    Subclasses name their provider in `provider_type`; the registry and tools find the
    schema through it. Their constructor ends with `self.declare(name, self.props_of(locals()),
    opts)`, not `super().__init__`: the SDK records, as where a resource was declared, the
    caller of the third `__init__` on the stack (Resource's, CustomResource's, then the
    resource class's own), so any `__init__` of ours in between would make every resource's
    source position a line of this library instead of the user's program."""

    provider_type: ClassVar[type[SchemaProvider[Any]]]

    @classmethod
    def resource_type_name(cls) -> str:
        """`dynamic/<module>:<name>`, as given in the class statement."""
        return cls._resource_type_name

    @staticmethod
    def props_of(arguments: dict[str, Any]) -> dict[str, Any]:
        """The constructor's keyword arguments (its `locals()`) as the resource's properties."""
        return {k: v for k, v in arguments.items() if k not in ("self", "name", "opts", "__class__")}

    def declare(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None) -> None:
        schema = self.provider_type.schema
        props = dict(props)
        for key in schema.secret_fields():
            if props.get(key) is not None:
                props[key] = pulumi.Output.secret(props[key])
        for key in schema.computed_outputs:
            props.setdefault(key, None)
        secret_outs = schema.secret_outputs()
        opts = pulumi.ResourceOptions.merge(pulumi.ResourceOptions(additional_secret_outputs=secret_outs), opts)
        opts = _hosts.host_for(opts)
        # What pulumi.dynamic.Resource.__init__ does, without its frame: the provider under
        # `__provider` (pickled by reference and holding nothing, so the same text for every
        # resource of a type: made once) and the `pulumi-python:` type the engine routes on.
        props[PROVIDER_KEY] = self.provider_type.pickled()
        pulumi.CustomResource.__init__(self, f"pulumi-python:{self._resource_type_name}", name, props, opts)
        if opts.replace_on_changes:
            self.urn.apply(lambda urn: pulumi.log.warn(REPLACE_ON_CHANGES_IGNORED.format(urn=urn), resource=self))
