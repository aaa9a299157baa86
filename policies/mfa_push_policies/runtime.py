"""What the policy engine gives a policy, and the two decorators that declare one.

- The stack name reaches a Python pack only through the ConfigureStack RPC, which pulumi-policy
  1.21 ignores; `take_stack_from_configure_stack` bridges it so pulumi.get_stack() works.
- Stack policies get every resource's *outputs*. The PowerAuth Application always outputs the
  role set it read from the server, whether or not `roles` was an input, so outputs cannot tell
  who declares an application's roles. Every resource policy therefore notes the inputs of each
  Application and ApplicationRoles it sees (the engine runs them for every resource before it
  runs the stack policies, in the same policy-pack process), for `single-owner-of-roles`.
- `args.opts` carries `protect` but not `retain_on_delete`: the analyzer protocol
  (`AnalyzerResourceOptions`) has no such field, so a policy cannot see it.
- pulumi-policy's `report` always reports at the policy's own level, so a mandatory policy could
  not name something without failing the deploy. A check calls `advise(message)` for that: the
  pack turns it into an ADVISORY diagnostic of the same policy (the engine honours each
  diagnostic's level), e.g. `no-deprecated-fcm` naming the legacy credentials a retirement removes.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from .props import get, str_list
from .resource_types import POWERAUTH_APPLICATION, POWERAUTH_APPLICATION_ROLES

ResourceCheck = Callable[[ResourceValidationArgs, ReportViolation], None]
StackCheck = Callable[[StackValidationArgs, ReportViolation], None]


# ---- the stack being deployed --------------------------------------------------------------
def current_stack() -> str:
    """The stack being deployed: pulumi.get_stack(), which pulumi-policy configures from
    PULUMI_PROJECT/PULUMI_STACK/PULUMI_DRY_RUN before each validation (see
    `take_stack_from_configure_stack` for where those come from); the variable as a fallback."""
    try:
        stack = pulumi.get_stack()
    except Exception:  # an unconfigured runtime must not fail the policy
        stack = ""
    return stack or os.environ.get("PULUMI_STACK", "")


def _wrap_servicer(method: str, wrap: Callable[[Any], Any]) -> None:
    """Replace pulumi-policy's `_PolicyAnalyzerServicer.<method>` with `wrap(original)`, once per
    process (a second call sees the mark and does nothing)."""
    from pulumi_policy import policy as _policy_module

    servicer = getattr(_policy_module, "_PolicyAnalyzerServicer", None)
    original = getattr(servicer, method, None)
    if servicer is None or original is None or getattr(original, "_mfa_push_wrapped", False):
        return
    wrapped = wrap(original)
    wrapped._mfa_push_wrapped = True
    wrapped.__wrapped__ = original
    setattr(servicer, method, wrapped)


def take_stack_from_configure_stack() -> None:
    """Make pulumi.get_stack() work in this pack under the current engine.

    The engine starts a Python pack through the language host's RunPlugin with its own
    environment, without PULUMI_STACK/PULUMI_PROJECT/PULUMI_DRY_RUN (it sets those only for the
    old `pulumi-analyzer-policy-python` launcher), and tells the pack the stack through the
    ConfigureStack RPC instead. pulumi-policy 1.21 keeps only the tags of that request, so
    pulumi.get_stack() would answer the SDK's placeholder "stack". This wraps ConfigureStack
    (once per process) to put the request's project, stack and dry-run flag into those variables,
    from which pulumi-policy configures the runtime before every Analyze/AnalyzeStack."""

    def wrap(original: Any) -> Any:
        def configure_stack(self: Any, request: Any, context: Any) -> Any:
            stack = getattr(request, "stack", "")
            project = getattr(request, "project", "")
            if stack and project:
                os.environ["PULUMI_STACK"] = stack
                os.environ["PULUMI_PROJECT"] = project
                os.environ["PULUMI_DRY_RUN"] = "true" if getattr(request, "dry_run", False) else "false"
                organization = getattr(request, "organization", "")
                if organization:
                    os.environ["PULUMI_ORGANIZATION"] = organization
            return original(self, request, context)

        return configure_stack

    _wrap_servicer("ConfigureStack", wrap)


take_stack_from_configure_stack()


# ---- advice: what a policy names without failing the deploy -----------------------------------
@dataclass(frozen=True)
class Advice:
    """A message a check gave with `advise`, for the policy that was running."""

    policy: str
    message: str


_advice = threading.local()
#: name -> (description, severity) of each policy declared here, for the diagnostics of its advice.
_declared_policies: dict[str, tuple[str, Severity]] = {}


def _pending() -> list[Advice]:
    pending: list[Advice] | None = getattr(_advice, "pending", None)
    if pending is None:
        pending = _advice.pending = []
    return pending


def advise(message: str) -> None:
    """From a policy's check: tell `message` as an ADVISORY diagnostic of that policy, which does
    not fail the deploy whatever the policy's level (`report` would, for a mandatory policy)."""
    policy: str | None = getattr(_advice, "policy", None)
    if policy is None:
        raise RuntimeError("advise() is for a policy's check, while it runs")
    _pending().append(Advice(policy, message))


def take_advice() -> list[Advice]:
    """The advice given on this thread since the last call; forgotten once taken."""
    pending = _pending()
    taken = list(pending)
    pending.clear()
    return taken


def give_advice_to_the_engine() -> None:
    """Wrap Analyze (once per process) so the advice its checks gave is appended to its answer as
    ADVISORY diagnostics, made by the servicer's own `_create_report_violation`: with the pack's
    name and version and the policy's description and severity, like its reports."""

    def wrap(original: Any) -> Any:
        def analyze(self: Any, request: Any, context: Any) -> Any:
            take_advice()  # nothing left over from a call that failed
            response = original(self, request, context)
            for advice in take_advice():
                description, severity = _declared_policies.get(advice.policy, ("", Severity.LOW))
                report = self._create_report_violation(
                    response, advice.policy, description, EnforcementLevel.ADVISORY, severity
                )
                report(advice.message, None)
            return response

        return analyze

    _wrap_servicer("Analyze", wrap)


give_advice_to_the_engine()


# ---- inputs seen by resource policies, for the stack policies --------------------------------
_seen_lock = threading.Lock()
#: urn -> {"application_id": ..., "roles": ...} as the resource policies saw the inputs.
_seen_inputs: dict[str, dict[str, Any]] = {}


def _note_inputs(args: ResourceValidationArgs) -> None:
    if args.resource_type not in (POWERAUTH_APPLICATION, POWERAUTH_APPLICATION_ROLES):
        return
    snapshot = {
        "application_id": get(args.props, "application_id"),
        "roles": str_list(get(args.props, "roles")),
    }
    with _seen_lock:
        _seen_inputs[args.urn] = snapshot


def seen_inputs(urn: str) -> dict[str, Any] | None:
    """The inputs a resource policy saw for `urn` (an Application or ApplicationRoles), if any."""
    with _seen_lock:
        return _seen_inputs.get(urn)


def forget_seen_inputs() -> None:
    """Drop the notes (for tests)."""
    with _seen_lock:
        _seen_inputs.clear()


# ---- declaring policies ----------------------------------------------------------------------
def _declared(
    name: str, description: str, level: EnforcementLevel, severity: Severity, remediation: str
) -> dict[str, Any]:
    """The arguments both kinds of policy take from their declaration."""
    return {
        "name": name,
        "description": description,
        "enforcement_level": level,
        "severity": severity,
        "remediation_steps": remediation,
    }


def resource_policy(
    name: str,
    description: str,
    level: EnforcementLevel,
    *,
    severity: Severity,
    remediation: str,
    config_schema: PolicyConfigSchema | None = None,
) -> Callable[[ResourceCheck], ResourceValidationPolicy]:
    """Make the decorated check a resource policy. The policy notes the inputs it sees (for the
    stack policies), and a value read without `props.get` that is not known yet skips the check
    (it runs again at `pulumi up`)."""

    def declare(check: ResourceCheck) -> ResourceValidationPolicy:
        def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
            _note_inputs(args)
            _advice.policy = name
            try:
                check(args, report)
            except UnknownValueError:
                return
            finally:
                _advice.policy = None

        validate.__name__ = check.__name__
        _declared_policies[name] = (description, severity)
        return ResourceValidationPolicy(
            validate=validate,
            config_schema=config_schema,
            **_declared(name, description, level, severity, remediation),
        )

    return declare


def stack_policy(
    name: str, description: str, level: EnforcementLevel, *, severity: Severity, remediation: str
) -> Callable[[StackCheck], StackValidationPolicy]:
    """Make the decorated check a stack policy."""

    def declare(check: StackCheck) -> StackValidationPolicy:
        return StackValidationPolicy(validate=check, **_declared(name, description, level, severity, remediation))

    return declare


def string_list_setting(key: str, description: str, default: list[str]) -> PolicyConfigSchema:
    """A config schema of one setting `key`: a list of strings, `default` when not configured
    (the check applies the same default through `props.config_strings`)."""
    return PolicyConfigSchema(
        properties={key: {"type": "array", "items": {"type": "string"}, "default": default, "description": description}}
    )
