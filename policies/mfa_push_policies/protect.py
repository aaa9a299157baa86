"""protect-undeletable: the applications that the PowerAuth Cloud and PingID SDK APIs cannot
delete are protected."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from .props import get, label, short, text
from .resource_types import PINGID_APPLICATION, POWERAUTH_APPLICATION
from .runtime import resource_policy


@resource_policy(
    "protect-undeletable",
    "PowerAuth and PingID SDK applications, which cannot be deleted through their APIs, are protected. "
    "Fix: set protect: true on them (retainOnDelete is not visible to policies).",
    EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Set the protect resource option (protect: true in the stack config).",
)
def protect_undeletable(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == POWERAUTH_APPLICATION:
        what = "PowerAuth application"
        why = "PowerAuth Cloud cannot delete applications, so removing or replacing it in the stack leaves it behind"
    elif args.resource_type == PINGID_APPLICATION:
        what = "PingID SDK application"
        why = (
            "the PingID SDK API cannot delete applications: removing or replacing it in the stack disables "
            "and renames it, which stops push and pairing for its users"
        )
    else:
        return
    opts = getattr(args, "opts", None)
    if bool(getattr(opts, "protect", False)):
        return
    ident = text(get(args.props, "application_id"))
    shown = f" (application_id {short(ident)!r})" if ident else ""
    report(
        f"{what} {label(args)}{shown} is not protected: {why}. Fix: set `protect: true` on it in the "
        "stack config (ResourceOptions(protect=True) in code). Note: `retainOnDelete` cannot satisfy "
        "this policy: the policy engine does not pass that option to policies.",
        None,
    )
