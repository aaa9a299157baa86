"""The policy pack (policies/): every policy with violating and passing inputs, through
`policy.validate(args, report)` as pulumi-policy calls it, plus the per-stack config files, the
pack's entry point, and the example stacks evaluated against the pack without the CLI."""

from __future__ import annotations

import functools
import inspect
import json
import re
import runpy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import mfa_push_policies as mp
import pulumi
import pulumi.runtime.settings as runtime_settings
import pulumi_policy
import pytest
import yaml
from google.protobuf import struct_pb2
from mfa_push_policies import resource_types, runtime
from pulumi.runtime import proto
from pulumi_mfa_push import registry
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE, unknown_checking_proxy

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "policies"
STACKS = ROOT / "stacks"

REAL_POLICY_PACK = pulumi_policy.PolicyPack

CALLBACK = mp.POWERAUTH_CALLBACK
APP = mp.POWERAUTH_APPLICATION
ROLES = mp.POWERAUTH_APPLICATION_ROLES
APNS = mp.POWERAUTH_APNS
FCM = mp.POWERAUTH_FCM
P1 = mp.PINGONE_PUSH_CREDENTIAL
PID = mp.PINGID_APPLICATION

SECRET = "s3cr3t-VALUE-that-must-never-be-shown"
ENV = "a3c2f1e0-5b4d-4e6f-8a7b-9c0d1e2f3a4b"
IOS = "11111111-2222-4333-8444-555555555555"
ANDROID = "66666666-7777-4888-8999-aaaaaaaaaaaa"


# ---- fakes ----------------------------------------------------------------------------------
class Report:
    """The report_violation callback: collects (message, urn)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None]] = []

    def __call__(self, message: str, urn: str | None = None) -> None:
        assert isinstance(message, str) and message
        self.calls.append((message, urn))

    @property
    def messages(self) -> list[str]:
        return [m for m, _ in self.calls]

    def __len__(self) -> int:
        return len(self.calls)


def options(protect: bool = False) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def urn(kind: str, name: str) -> str:
    return f"urn:pulumi:test::mfa-push::{kind}::{name}"


def resource_args(
    kind: str, props: dict[str, Any], name: str = "res", config: Mapping[str, Any] | None = None, protect: bool = False
) -> ResourceValidationArgs:
    # As the analyzer server builds them: props behind pulumi-policy's unknown-checking proxy.
    return ResourceValidationArgs(
        kind, unknown_checking_proxy(props), urn(kind, name), name, options(protect), None, config
    )


def validate(
    policy: ResourceValidationPolicy,
    kind: str,
    props: dict[str, Any],
    *,
    name: str = "res",
    config: Mapping[str, Any] | None = None,
    protect: bool = False,
) -> Report:
    report = Report()
    result = policy.validate(resource_args(kind, props, name, config, protect), report)
    assert result is None
    return report


def stack_resource(kind: str, name: str, props: dict[str, Any], protect: bool = False) -> PolicyResource:
    return PolicyResource(
        kind, unknown_checking_proxy(props), urn(kind, name), name, options(protect), None, None, [], {}
    )


def validate_stack(
    policy: StackValidationPolicy, resources: list[PolicyResource], config: Mapping[str, Any] | None = None
) -> Report:
    report = Report()
    assert policy.validate(StackValidationArgs(resources, config), report) is None
    return report


@pytest.fixture(autouse=True)
def _fresh_notes() -> None:
    mp.forget_seen_inputs()


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set the stack name pulumi.get_stack() returns (as pulumi-policy does from PULUMI_STACK)."""

    def set_stack(name: str) -> None:
        monkeypatch.setattr(runtime_settings.SETTINGS, "stack", name)

    return set_stack


def service_account(project: str | None, **extra: Any) -> str:
    data: dict[str, Any] = {
        "type": "service_account",
        "private_key": f"-----BEGIN PRIVATE KEY-----\n{SECRET}\n-----END PRIVATE KEY-----\n",
        "client_email": f"push@{project or 'x'}.iam.gserviceaccount.com",
        **extra,
    }
    if project is not None:
        data["project_id"] = project
    return json.dumps(data)


# ---- the pack as a whole ----------------------------------------------------------------------
EXPECTED = {
    "no-deprecated-fcm": (ResourceValidationPolicy, EnforcementLevel.MANDATORY),
    "callback-url-https": (ResourceValidationPolicy, EnforcementLevel.MANDATORY),
    "callback-authentication": (ResourceValidationPolicy, EnforcementLevel.ADVISORY),
    "apns-production-environment": (ResourceValidationPolicy, EnforcementLevel.MANDATORY),
    "fcm-project-matches-credentials": (ResourceValidationPolicy, EnforcementLevel.MANDATORY),
    "single-owner-of-roles": (StackValidationPolicy, EnforcementLevel.MANDATORY),
    "one-push-credential-per-type": (StackValidationPolicy, EnforcementLevel.MANDATORY),
    "protect-undeletable": (ResourceValidationPolicy, EnforcementLevel.ADVISORY),
}


def test_pack_has_exactly_the_policies_with_their_levels() -> None:
    assert {p.name for p in mp.POLICIES} == set(EXPECTED)
    assert len(mp.POLICIES) == len(EXPECTED)
    for policy in mp.POLICIES:
        cls, level = EXPECTED[policy.name]
        assert isinstance(policy, cls), policy.name
        assert policy.enforcement_level == level, policy.name


@pytest.mark.parametrize("policy", mp.POLICIES, ids=lambda p: p.name)
def test_descriptions_say_how_to_fix(policy: Any) -> None:
    assert "Fix:" in policy.description
    assert policy.remediation_steps


def test_configurable_policies_have_schemas_with_the_code_defaults() -> None:
    https = mp.BY_NAME["callback-url-https"].config_schema
    assert https is not None
    assert https.properties["allowedInsecureHosts"]["default"] == ["localhost", "127.0.0.1"]
    assert https.properties["allowedInsecureHosts"]["type"] == "array"
    apns = mp.BY_NAME["apns-production-environment"].config_schema
    assert apns is not None
    assert apns.properties["productionStacks"]["default"] == ["prod", "production"]


def test_entry_point_only_builds_the_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[tuple[str, dict[str, Any]]] = []

    class FakePack:
        def __init__(self, name: str, **kwargs: Any) -> None:
            built.append((name, kwargs))

    monkeypatch.setattr(pulumi_policy, "PolicyPack", FakePack)
    runpy.run_path(str(PACK / "__main__.py"), run_name="__main__")
    [(name, kwargs)] = built
    assert name == "mfa-push-policies"
    assert [p.name for p in kwargs["policies"]] == [p.name for p in mp.POLICIES]
    # The real PolicyPack accepts these arguments.
    assert set(kwargs) <= set(inspect.signature(REAL_POLICY_PACK.__init__).parameters)


def test_policy_types_are_the_registry_types() -> None:
    """Each type the policies name is a registry type, and every registry type has a name."""
    named = {name: value for name, value in vars(resource_types).items() if name.isupper()}
    assert sorted(named.values()) == sorted(kind.type_token for kind in registry.kinds())


def test_pulumi_policy_yaml_and_requirements() -> None:
    spec = yaml.safe_load((PACK / "PulumiPolicy.yaml").read_text())
    # No virtualenv of its own: the pack runs in the previewed project's, which has the library
    # (the pack ships inside it) and pulumi-policy.
    assert spec["runtime"] == {"name": "python"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(spec["version"]))
    reqs = {
        line.strip()
        for line in (PACK / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert {"pulumi-policy==1.21.0", "pulumi==3.272.0", "pulumi-mfa-push>=0.2.0"} <= reqs


# ---- no-deprecated-fcm --------------------------------------------------------------------------
NO_FCM = mp.BY_NAME["no-deprecated-fcm"]


def test_pingone_legacy_fcm_credential_is_a_violation() -> None:
    report = validate(NO_FCM, P1, {"environment_id": ENV, "application_id": ANDROID, "type": "FCM", "key": SECRET})
    [message] = report.messages
    assert "`type`" in message and "FCM_HTTP_V1" in message and "google_service_account_credentials" in message
    assert SECRET not in message


def test_pingone_fcm_type_in_lower_case_is_a_violation_too() -> None:
    assert len(validate(NO_FCM, P1, {"type": "fcm"})) == 1


@pytest.mark.parametrize("kind", ["APNS", "FCM_HTTP_V1", "HMS"])
def test_pingone_current_credential_types_pass(kind: str) -> None:
    assert len(validate(NO_FCM, P1, {"environment_id": ENV, "application_id": IOS, "type": kind})) == 0


@pytest.mark.parametrize(
    ("props", "named"),
    [
        ({"fcm_server_key": SECRET, "fcm_sender_id": "123456789012"}, ["fcm_server_key", "fcm_sender_id"]),
        ({"fcm_server_key": SECRET}, ["fcm_server_key"]),
        ({"fcm_sender_id": "123456789012"}, ["fcm_sender_id"]),
        ({"fcm_server_key": UNKNOWN_STRING_VALUE}, ["fcm_server_key"]),  # set, value not known yet
    ],
)
def test_pingid_application_with_legacy_fcm_settings_is_a_violation(props: dict[str, Any], named: list[str]) -> None:
    base = {"application_id": "3d9c2f4e-8a1b-4c7d-9e0f-1a2b3c4d5e6f", "app_name": "App", "app_enabled": True}
    [message] = validate(NO_FCM, PID, base | props).messages
    for prop in named:
        assert f"`{prop}`" in message
    assert "remove" in message.lower()
    assert SECRET not in message and "123456789012" not in message


def test_pingid_application_without_legacy_fcm_passes() -> None:
    props = {"application_id": "3d9c2f4e-8a1b-4c7d-9e0f-1a2b3c4d5e6f", "app_name": "App", "fcm_server_key": None}
    assert len(validate(NO_FCM, PID, props)) == 0


def test_no_deprecated_fcm_ignores_other_types() -> None:
    assert len(validate(NO_FCM, FCM, {"type": "FCM", "fcm_server_key": "x"})) == 0


RETIREMENT = mp.PINGONE_LEGACY_FCM_RETIREMENT
LEGACY_ID = "0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70"
NEW_ID = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"


def retirement(ids: Any, replacement: Any = NEW_ID) -> dict[str, Any]:
    return {
        "environment_id": ENV,
        "application_id": ANDROID,
        "credential_ids": ids,
        "replacement_credential_id": replacement,
    }


def test_legacy_credentials_on_their_way_out_are_named_without_blocking() -> None:
    runtime.take_advice()
    assert len(validate(NO_FCM, RETIREMENT, retirement([LEGACY_ID]), name="android-legacy-fcm")) == 0
    [advice] = runtime.take_advice()
    assert advice.policy == "no-deprecated-fcm"
    for part in (LEGACY_ID, ANDROID, ENV, NEW_ID, "'android-legacy-fcm'", "legacy FCM"):
        assert part in advice.message
    # At preview the replacement's id is not known yet.
    validate(NO_FCM, RETIREMENT, retirement([LEGACY_ID], UNKNOWN_STRING_VALUE))
    [advice] = runtime.take_advice()
    assert LEGACY_ID in advice.message and "its FCM_HTTP_V1 replacement" in advice.message


@pytest.mark.parametrize("ids", [[], UNKNOWN_STRING_VALUE, [UNKNOWN_STRING_VALUE]])
def test_a_retirement_with_nothing_known_to_retire_says_nothing(ids: Any) -> None:
    runtime.take_advice()
    assert len(validate(NO_FCM, RETIREMENT, retirement(ids))) == 0
    assert runtime.take_advice() == []


def test_advice_reaches_the_engine_as_an_advisory_diagnostic_of_the_policy() -> None:
    server = servicer()
    response = server.Analyze(analyze_request(RETIREMENT, "android-legacy-fcm", retirement([LEGACY_ID])), None)
    [diagnostic] = response.diagnostics
    assert diagnostic.policyName == "no-deprecated-fcm" and diagnostic.policyPackName == "mfa-push-policies"
    assert diagnostic.enforcementLevel == proto.ADVISORY and diagnostic.severity == proto.POLICY_SEVERITY_HIGH
    assert LEGACY_ID in diagnostic.message and diagnostic.message.startswith(NO_FCM.description)
    # A declared FCM credential is still refused (mandatory), and advice does not outlive its call.
    response = server.Analyze(analyze_request(P1, "old", {"application_id": ANDROID, "type": "FCM"}), None)
    [diagnostic] = response.diagnostics
    assert diagnostic.enforcementLevel == proto.MANDATORY and "`type` is FCM" in diagnostic.message


def test_analyze_is_wrapped_once() -> None:
    runtime.give_advice_to_the_engine()
    assert getattr(_PolicyAnalyzerServicer.Analyze, "_mfa_push_wrapped", False)
    assert not getattr(_PolicyAnalyzerServicer.Analyze.__wrapped__, "_mfa_push_wrapped", False)


def test_advice_outside_a_check_is_a_mistake() -> None:
    with pytest.raises(RuntimeError, match="policy's check"):
        runtime.advise("nobody is listening")


# ---- callback-url-https ---------------------------------------------------------------------------
HTTPS = mp.BY_NAME["callback-url-https"]


def callback(url: Any, **extra: Any) -> dict[str, Any]:
    return {
        "application_id": "APP",
        "callback_name": "cb",
        "type": "OPERATION_STATUS_CHANGE",
        "callback_url": url,
        **extra,
    }


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/powerauth",
        "HTTPS://hooks.example.com/powerauth",
        "http://localhost:8080/hook",
        "http://127.0.0.1:9000/hook",
        "http://LOCALHOST/hook",
    ],
)
def test_https_and_loopback_callback_urls_pass(url: str) -> None:
    assert len(validate(HTTPS, CALLBACK, callback(url))) == 0


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://hooks.example.com/powerauth", "'hooks.example.com'"),
        ("http://10.0.0.5:8080/powerauth", "'10.0.0.5'"),
        ("ftp://hooks.example.com/powerauth", "'ftp'"),
        ("hooks.example.com/powerauth", "no URL scheme"),
    ],
)
def test_insecure_callback_urls_are_violations(url: str, shown: str) -> None:
    [message] = validate(HTTPS, CALLBACK, callback(url)).messages
    assert "`callback_url`" in message and "https://" in message and "allowedInsecureHosts" in message
    assert shown in message


def test_callback_url_credentials_are_not_echoed() -> None:
    [message] = validate(HTTPS, CALLBACK, callback(f"http://user:{SECRET}@hooks.example.com/x")).messages
    assert SECRET not in message and "user" not in message


def test_allowed_insecure_hosts_config_replaces_the_default() -> None:
    config = {"allowedInsecureHosts": ["receiver.internal", "[::1]"]}
    assert len(validate(HTTPS, CALLBACK, callback("http://receiver.internal:8080/x"), config=config)) == 0
    assert len(validate(HTTPS, CALLBACK, callback("http://[::1]:8080/x"), config=config)) == 0
    [message] = validate(HTTPS, CALLBACK, callback("http://localhost/x"), config=config).messages
    assert "receiver.internal" in message  # the message shows the hosts in force
    assert len(validate(HTTPS, CALLBACK, callback("http://localhost/x"), config={"allowedInsecureHosts": []})) == 1


def test_bad_allowed_insecure_hosts_config_falls_back_to_the_default() -> None:
    assert len(validate(HTTPS, CALLBACK, callback("http://localhost/x"), config={"allowedInsecureHosts": "x"})) == 0


def test_callback_url_unknown_or_missing_is_not_judged() -> None:
    assert len(validate(HTTPS, CALLBACK, callback(UNKNOWN_STRING_VALUE))) == 0
    assert len(validate(HTTPS, CALLBACK, {"application_id": "APP"})) == 0
    assert len(validate(HTTPS, CALLBACK, callback(None))) == 0


def test_callback_url_https_ignores_other_types() -> None:
    assert len(validate(HTTPS, APP, {"callback_url": "http://example.com"})) == 0


# ---- callback-authentication -----------------------------------------------------------------------
AUTH = mp.BY_NAME["callback-authentication"]


def test_callback_without_http_basic_is_a_violation() -> None:
    [message] = validate(AUTH, CALLBACK, callback("https://h.example.com")).messages
    assert "`http_basic`" in message and "password" in message


@pytest.mark.parametrize("basic", [{}, {"username": ""}, {"password": SECRET}, None])
def test_callback_with_empty_http_basic_is_a_violation(basic: Any) -> None:
    [message] = validate(AUTH, CALLBACK, callback("https://h.example.com", http_basic=basic)).messages
    assert SECRET not in message


@pytest.mark.parametrize(
    "basic",
    [
        {"username": "powerauth", "password": SECRET},
        {"username": "powerauth"},
        {"username": UNKNOWN_STRING_VALUE, "password": SECRET},
        UNKNOWN_OBJECT_VALUE,
    ],
)
def test_callback_with_http_basic_passes(basic: Any) -> None:
    assert len(validate(AUTH, CALLBACK, callback("https://h.example.com", http_basic=basic))) == 0


# ---- apns-production-environment -------------------------------------------------------------------
APNS_POLICY = mp.BY_NAME["apns-production-environment"]


def apns(env: Any) -> dict[str, Any]:
    props = {
        "application_id": "APP",
        "topic": "com.example",
        "key_id": "ABCDE12345",
        "team_id": "FGHIJ67890",
        "private_key": SECRET,
    }
    if env is not None:
        props["environment"] = env
    return props


@pytest.mark.parametrize("name", ["prod", "production", "PROD"])
def test_development_apns_on_a_production_stack_is_a_violation(stack: Any, name: str) -> None:
    stack(name)
    [message] = validate(APNS_POLICY, APNS, apns("DEVELOPMENT")).messages
    assert "`environment`" in message and "PRODUCTION" in message and repr(name) in message
    assert SECRET not in message


def test_missing_apns_environment_on_a_production_stack_is_a_violation(stack: Any) -> None:
    stack("prod")
    assert "not set" in validate(APNS_POLICY, APNS, apns(None)).messages[0]


@pytest.mark.parametrize("env", ["PRODUCTION", "production", UNKNOWN_STRING_VALUE])
def test_production_apns_on_a_production_stack_passes(stack: Any, env: str) -> None:
    stack("prod")
    assert len(validate(APNS_POLICY, APNS, apns(env))) == 0


@pytest.mark.parametrize("name", ["dev", "legacy", "staging", "preprod"])
def test_development_apns_elsewhere_passes(stack: Any, name: str) -> None:
    stack(name)
    assert len(validate(APNS_POLICY, APNS, apns("DEVELOPMENT"))) == 0


def test_production_stacks_config_replaces_the_default(stack: Any) -> None:
    config = {"productionStacks": ["live", "prod-*"]}
    for name, violations in (("live", 1), ("prod-eu", 1), ("PROD-US", 1), ("prod", 0), ("staging", 0)):
        stack(name)
        assert len(validate(APNS_POLICY, APNS, apns("DEVELOPMENT"), config=config)) == violations, name


RUNTIME_VARS = ("PULUMI_PROJECT", "PULUMI_STACK", "PULUMI_DRY_RUN", "PULUMI_ORGANIZATION")


@pytest.fixture
def clean_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    """No stack in the environment, and pulumi's runtime settings restored afterwards."""
    monkeypatch.setattr(runtime_settings, "SETTINGS", runtime_settings.SETTINGS)
    for name in RUNTIME_VARS:
        monkeypatch.setenv(name, "x")  # records the original value for the teardown
        monkeypatch.delenv(name)


def test_stack_name_from_the_configure_stack_rpc(clean_runtime: None) -> None:
    """The engine starts a Python pack through the language host without PULUMI_STACK and sends
    the stack in ConfigureStack, which pulumi-policy 1.21 ignores: the pack bridges it."""
    server = servicer()
    request = analyze_request(APNS, "ios", apns("DEVELOPMENT"))
    assert list(server.Analyze(request, None).diagnostics) == []  # no stack known: not production
    server.ConfigureStack(
        proto.AnalyzerStackConfigureRequest(stack="production", project="mfa-push", organization="org", dry_run=True),
        None,
    )
    response = server.Analyze(request, None)
    assert [d.policyName for d in response.diagnostics] == ["apns-production-environment"]
    assert pulumi.get_stack() == "production"


def test_stack_name_from_the_environment_of_the_old_launcher(
    clean_runtime: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine's other launcher (pulumi-analyzer-policy-python) passes PULUMI_PROJECT/STACK/
    DRY_RUN, from which pulumi-policy configures the runtime before each validation."""
    monkeypatch.setenv("PULUMI_PROJECT", "mfa-push")
    monkeypatch.setenv("PULUMI_STACK", "prod")
    monkeypatch.setenv("PULUMI_DRY_RUN", "true")
    response = servicer().Analyze(analyze_request(APNS, "ios", apns("DEVELOPMENT")), None)
    assert [d.policyName for d in response.diagnostics] == ["apns-production-environment"]


def test_configure_stack_is_wrapped_once() -> None:
    runtime.take_stack_from_configure_stack()
    runtime.take_stack_from_configure_stack()
    assert getattr(_PolicyAnalyzerServicer.ConfigureStack, "_mfa_push_wrapped", False)
    assert not getattr(_PolicyAnalyzerServicer.ConfigureStack.__wrapped__, "_mfa_push_wrapped", False)


def test_apns_policy_ignores_other_types(stack: Any) -> None:
    stack("prod")
    assert len(validate(APNS_POLICY, FCM, {"environment": "DEVELOPMENT"})) == 0


# ---- fcm-project-matches-credentials ----------------------------------------------------------------
FCM_POLICY = mp.BY_NAME["fcm-project-matches-credentials"]


def test_fcm_project_that_differs_from_the_json_is_a_violation() -> None:
    props = {
        "application_id": "APP",
        "project_id": "shown-project",
        "service_account_json": service_account("hidden-project"),
    }
    [message] = validate(FCM_POLICY, FCM, props).messages
    assert "`project_id`" in message and "`service_account_json`" in message and "shown-project" in message
    assert "hidden-project" not in message and SECRET not in message


@pytest.mark.parametrize(
    "props",
    [
        {"project_id": "p1", "service_account_json": service_account("p1")},
        {"service_account_json": service_account("p1")},  # project_id left out: the JSON's is used
        {"project_id": None, "service_account_json": service_account("p1")},
        {"project_id": "p1", "service_account_json": UNKNOWN_STRING_VALUE},
        {"project_id": UNKNOWN_STRING_VALUE, "service_account_json": service_account("p1")},
        {"project_id": "p1", "service_account_json": "not json"},  # the provider's check reports it
        {"project_id": "p1", "service_account_json": "[1, 2]"},
        {"project_id": "p1", "service_account_json": service_account(None)},
        {"project_id": "p1"},
    ],
)
def test_fcm_projects_that_agree_or_cannot_be_judged_pass(props: dict[str, Any]) -> None:
    assert len(validate(FCM_POLICY, FCM, {"application_id": "APP", **props})) == 0


# ---- protect-undeletable ----------------------------------------------------------------------------
PROTECT = mp.BY_NAME["protect-undeletable"]


@pytest.mark.parametrize(
    ("kind", "props"),
    [
        (APP, {"application_id": "DEMO_APP", "adopt": False}),
        (PID, {"application_id": "3d9c2f4e-8a1b-4c7d-9e0f-1a2b3c4d5e6f", "app_name": "App"}),
    ],
)
def test_unprotected_applications_are_advised_to_protect(kind: str, props: dict[str, Any]) -> None:
    [message] = validate(PROTECT, kind, props).messages
    assert "`protect: true`" in message and "retainOnDelete" in message
    assert len(validate(PROTECT, kind, props, protect=True)) == 0


def test_protect_undeletable_ignores_other_types() -> None:
    for kind in (CALLBACK, APNS, FCM, ROLES, P1):
        assert len(validate(PROTECT, kind, {"application_id": "APP"})) == 0


def test_retain_on_delete_is_not_visible_to_policies() -> None:
    """The limit protect-undeletable documents: pulumi-policy's resource options (and the
    analyzer protocol under them) carry `protect` but no retain_on_delete."""
    assert "retain_on_delete" not in inspect.signature(PolicyResourceOptions.__init__).parameters
    assert "retainOnDelete" not in proto.AnalyzerResourceOptions.DESCRIPTOR.fields_by_name
    assert "protect" in proto.AnalyzerResourceOptions.DESCRIPTOR.fields_by_name


# ---- single-owner-of-roles --------------------------------------------------------------------------
OWNER = mp.BY_NAME["single-owner-of-roles"]


def test_application_roles_and_a_role_set_for_one_application_is_a_violation() -> None:
    resources = [
        stack_resource(APP, "demo", {"application_id": "DEMO", "roles": ["ROLE_USER"]}),
        stack_resource(ROLES, "demo-admins", {"application_id": "DEMO", "roles": ["ROLE_ADMIN"]}),
    ]
    report = validate_stack(OWNER, resources)
    [(message, where)] = report.calls
    assert where == urn(APP, "demo")
    assert "`roles`" in message and "'demo-admins'" in message and "remove `roles`" in message


def test_an_empty_roles_list_is_a_declaration_too() -> None:
    resources = [
        stack_resource(APP, "demo", {"application_id": "DEMO", "roles": []}),
        stack_resource(ROLES, "demo-admins", {"application_id": "DEMO", "roles": ["ROLE_ADMIN"]}),
    ]
    assert len(validate_stack(OWNER, resources)) == 1


def test_a_role_in_two_role_sets_of_one_application_is_a_violation() -> None:
    resources = [
        stack_resource(APP, "shared", {"application_id": "SHARED"}),
        stack_resource(ROLES, "ops", {"application_id": "SHARED", "roles": ["ROLE_OPERATOR", "ROLE_SUPPORT"]}),
        stack_resource(
            ROLES, "backoffice", {"application_id": "SHARED", "roles": ["ROLE_BACKOFFICE", "ROLE_OPERATOR"]}
        ),
    ]
    [(message, where)] = validate_stack(OWNER, resources).calls
    assert "ROLE_OPERATOR" in message and "ROLE_SUPPORT" not in message
    assert "'ops'" in message and "'backoffice'" in message and "`roles`" in message
    assert where == urn(ROLES, "backoffice")


def test_roles_declared_in_one_place_pass() -> None:
    resources = [
        stack_resource(APP, "a", {"application_id": "A", "roles": ["ROLE_USER"]}),
        stack_resource(APP, "b", {"application_id": "B"}),
        stack_resource(ROLES, "b-ops", {"application_id": "B", "roles": ["ROLE_OPERATOR"]}),
        stack_resource(ROLES, "b-audit", {"application_id": "B", "roles": ["ROLE_AUDITOR"]}),
        # The same role name on another application is another role.
        stack_resource(ROLES, "c-ops", {"application_id": "C", "roles": ["ROLE_OPERATOR"]}),
        stack_resource(ROLES, "a-none", {"application_id": "Z", "roles": ["ROLE_USER"]}),
    ]
    assert len(validate_stack(OWNER, resources)) == 0


def test_outputs_read_from_the_server_are_not_taken_for_a_declaration() -> None:
    """After `up` and `refresh` an Application's outputs list every role on the server, also the
    role sets' ones, whether or not `roles` was an input: without the inputs, do not guess."""
    resources = [
        stack_resource(
            APP,
            "b",
            {"application_id": "B", "roles": ["ROLE_OPERATOR"], "app_key": "k==", "service_base_url": "https://x"},
        ),
        stack_resource(ROLES, "b-ops", {"application_id": "B", "roles": ["ROLE_OPERATOR"]}),
    ]
    assert len(validate_stack(OWNER, resources)) == 0


def test_inputs_seen_by_the_resource_policies_decide_over_outputs() -> None:
    outputs = {"application_id": "B", "roles": ["ROLE_OPERATOR"], "app_key": "k==", "service_base_url": "https://x"}
    resources = [
        stack_resource(APP, "b", outputs),
        stack_resource(ROLES, "b-ops", {"application_id": "B", "roles": ["ROLE_OPERATOR"]}),
    ]
    # The engine runs the resource policies on every resource's inputs before the stack policies.
    validate(PROTECT, APP, {"application_id": "B"}, name="b")
    assert len(validate_stack(OWNER, resources)) == 0
    validate(HTTPS, APP, {"application_id": "B", "roles": ["ROLE_USER"]}, name="b")
    [(_, where)] = validate_stack(OWNER, resources).calls
    assert where == urn(APP, "b")


def test_role_sets_use_their_seen_inputs_too() -> None:
    resources = [
        stack_resource(ROLES, "one", {"application_id": "B", "roles": []}),  # outputs after refresh
        stack_resource(ROLES, "two", {"application_id": "B", "roles": ["ROLE_X"]}),
    ]
    validate(AUTH, ROLES, {"application_id": "B", "roles": ["ROLE_X"]}, name="one")
    assert len(validate_stack(OWNER, resources)) == 1


def test_unknown_values_are_skipped_not_fatal() -> None:
    resources = [
        stack_resource(APP, "a", {"application_id": UNKNOWN_STRING_VALUE, "roles": ["R"]}),
        stack_resource(APP, "b", {"application_id": "B", "roles": ["R", UNKNOWN_STRING_VALUE]}),
        stack_resource(ROLES, "a-r", {"application_id": UNKNOWN_STRING_VALUE, "roles": ["R"]}),
        stack_resource(ROLES, "b-r", {"application_id": "B", "roles": UNKNOWN_STRING_VALUE}),
        stack_resource(ROLES, "c", {}),
    ]
    assert len(validate_stack(OWNER, resources)) == 0


# ---- one-push-credential-per-type -------------------------------------------------------------------
ONE = mp.BY_NAME["one-push-credential-per-type"]


def credential(kind: str, app: str = IOS, env: str = ENV, **extra: Any) -> dict[str, Any]:
    return {"environment_id": env, "application_id": app, "type": kind, **extra}


def test_two_credentials_of_one_type_for_one_application_are_a_violation() -> None:
    resources = [
        stack_resource(P1, "apns-a", credential("APNS", token=SECRET)),
        stack_resource(P1, "apns-b", credential("APNS", app=IOS.upper(), token=SECRET)),  # ids ignore case
        stack_resource(P1, "fcm", credential("FCM_HTTP_V1")),
    ]
    [(message, where)] = validate_stack(ONE, resources).calls
    assert where == urn(P1, "apns-b")
    assert "'apns-a'" in message and "'apns-b'" in message and "`type` APNS" in message and IOS in message
    assert SECRET not in message


def test_three_of_a_kind_report_each_extra_one() -> None:
    resources = [stack_resource(P1, f"hms-{i}", credential("HMS", app=ANDROID)) for i in range(3)]
    assert [w for _, w in validate_stack(ONE, resources).calls] == [urn(P1, "hms-1"), urn(P1, "hms-2")]


def test_one_credential_per_type_application_and_environment_passes() -> None:
    resources = [
        stack_resource(P1, "ios-apns", credential("APNS")),
        stack_resource(P1, "android-fcm", credential("FCM_HTTP_V1", app=ANDROID)),
        stack_resource(P1, "android-hms", credential("HMS", app=ANDROID)),
        stack_resource(P1, "android-apns", credential("APNS", app=ANDROID)),
        stack_resource(P1, "other-env", credential("APNS", env="b3c2f1e0-5b4d-4e6f-8a7b-9c0d1e2f3a4b")),
        stack_resource(P1, "unknown", credential("APNS", app=UNKNOWN_STRING_VALUE)),
        stack_resource(P1, "missing", {"type": "APNS"}),
        stack_resource(APP, "not-a-credential", credential("APNS")),
    ]
    assert len(validate_stack(ONE, resources)) == 0


# ---- secrets and unknowns across the pack -----------------------------------------------------------
SECRET_PROPS: dict[str, dict[str, Any]] = {
    CALLBACK: callback(f"http://u:{SECRET}@h.example.com/x", http_basic={"username": "", "password": SECRET}),
    APNS: apns("DEVELOPMENT"),
    FCM: {"project_id": "p", "service_account_json": service_account(SECRET)},
    P1: credential("FCM", key=SECRET, token=SECRET, client_secret=SECRET, google_service_account_credentials=SECRET),
    PID: {"application_id": "x", "fcm_server_key": SECRET, "fcm_sender_id": SECRET},
    APP: {"application_id": "A", "roles": ["R"]},
}


def test_no_message_contains_a_secret_value(stack: Any) -> None:
    stack("prod")
    messages: list[str] = []
    for policy in mp.POLICIES:
        if isinstance(policy, ResourceValidationPolicy):
            for kind, props in SECRET_PROPS.items():
                messages += validate(policy, kind, props).messages
    resources = [stack_resource(kind, f"r{i}", props) for i, (kind, props) in enumerate(SECRET_PROPS.items())]
    resources += [stack_resource(P1, "dup", SECRET_PROPS[P1])]
    for policy in mp.POLICIES:
        if isinstance(policy, StackValidationPolicy):
            messages += validate_stack(policy, resources).messages
    assert len(messages) >= 6
    assert not [m for m in messages if SECRET in m]


def test_secret_wrapped_values_are_read_as_their_plain_values() -> None:
    """Remediation-style props wrap secrets in pulumi_policy.Secret: read through them."""
    props = {"project_id": "p1", "service_account_json": pulumi_policy.Secret(service_account("p2"))}
    assert len(validate(FCM_POLICY, FCM, props)) == 1
    basic = pulumi_policy.Secret({"username": "u", "password": pulumi_policy.Secret(SECRET)})
    assert len(validate(AUTH, CALLBACK, callback("https://h.example.com", http_basic=basic))) == 0


def test_every_policy_survives_unknown_and_missing_values(stack: Any) -> None:
    stack("prod")
    kinds = [CALLBACK, APNS, FCM, P1, PID, APP, ROLES]
    weird: list[dict[str, Any]] = [
        {},
        {
            k: UNKNOWN_STRING_VALUE
            for k in (
                "callback_url",
                "http_basic",
                "environment",
                "project_id",
                "service_account_json",
                "type",
                "fcm_server_key",
                "application_id",
                "roles",
                "environment_id",
            )
        },
        {"callback_url": 42, "http_basic": "x", "environment": ["PRODUCTION"], "roles": "ROLE", "type": None},
    ]
    for policy in mp.POLICIES:
        for kind in kinds:
            for props in weird:
                if isinstance(policy, ResourceValidationPolicy):
                    validate(policy, kind, props)
                else:
                    validate_stack(policy, [stack_resource(kind, "a", props), stack_resource(kind, "b", props)])


# ---- through pulumi-policy's analyzer server, as `pulumi preview` drives it --------------------------
def servicer() -> Any:
    return _PolicyAnalyzerServicer("mfa-push-policies", "0.1.0", mp.POLICIES, EnforcementLevel.ADVISORY)


def struct(data: Mapping[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(dict(data))
    return out


def analyze_request(kind: str, name: str, props: dict[str, Any], protect: bool = False) -> Any:
    return proto.AnalyzeRequest(
        type=kind,
        properties=struct(props),
        urn=urn(kind, name),
        name=name,
        options=proto.AnalyzerResourceOptions(protect=protect),
    )


def configure(server: Any, config_file: Path | None) -> None:
    """What `--policy-pack-config FILE` does: the engine parses the file and calls Configure
    (the CLI also adds the schema defaults; the policies apply the same defaults themselves)."""
    raw = json.loads(config_file.read_text()) if config_file else {}
    levels = {
        "advisory": proto.ADVISORY,
        "mandatory": proto.MANDATORY,
        "disabled": proto.DISABLED,
        "remediate": proto.REMEDIATE,
    }
    policy_config = {}
    for policy in mp.POLICIES:
        entry = raw.get(policy.name, {})
        entry = {"enforcementLevel": entry} if isinstance(entry, str) else dict(entry)
        level = entry.pop("enforcementLevel", (policy.enforcement_level or EnforcementLevel.ADVISORY).value)
        policy_config[policy.name] = proto.PolicyConfig(enforcementLevel=levels[level], properties=struct(entry))
    server.Configure(proto.ConfigureAnalyzerRequest(policyConfig=policy_config), None)


def levels_of(response: Any) -> dict[str, int]:
    return {d.policyName: d.enforcementLevel for d in response.diagnostics}


def test_prod_config_makes_callback_authentication_mandatory() -> None:
    request = analyze_request(CALLBACK, "cb", callback("https://h.example.com"))
    server = servicer()
    configure(server, None)
    assert levels_of(server.Analyze(request, None)) == {"callback-authentication": proto.ADVISORY}
    configure(server, PACK / "config" / "prod.json")
    assert levels_of(server.Analyze(request, None)) == {"callback-authentication": proto.MANDATORY}


def test_policy_settings_arrive_through_configure() -> None:
    request = analyze_request(CALLBACK, "cb", callback("http://receiver.internal/x", http_basic={"username": "u"}))
    server = servicer()
    configure(server, None)
    assert levels_of(server.Analyze(request, None)) == {"callback-url-https": proto.MANDATORY}
    server.Configure(
        proto.ConfigureAnalyzerRequest(
            policyConfig={
                "callback-url-https": proto.PolicyConfig(
                    enforcementLevel=proto.MANDATORY, properties=struct({"allowedInsecureHosts": ["receiver.internal"]})
                )
            }
        ),
        None,
    )
    assert levels_of(server.Analyze(request, None)) == {}


def test_unknown_values_do_not_produce_cannot_run_diagnostics() -> None:
    server = servicer()
    configure(server, None)
    props = {"callback_url": UNKNOWN_STRING_VALUE, "http_basic": UNKNOWN_OBJECT_VALUE}
    assert list(server.Analyze(analyze_request(CALLBACK, "cb", props), None).diagnostics) == []
    stack_request = proto.AnalyzeStackRequest(
        resources=[
            proto.AnalyzerResource(
                type=P1, name="a", urn=urn(P1, "a"), properties=struct(credential("APNS", app=UNKNOWN_STRING_VALUE))
            ),
            proto.AnalyzerResource(
                type=APP, name="b", urn=urn(APP, "b"), properties=struct({"application_id": UNKNOWN_STRING_VALUE})
            ),
        ]
    )
    assert list(server.AnalyzeStack(stack_request, None).diagnostics) == []


# ---- the policy config files ---------------------------------------------------------------------
CONFIG_FILES = sorted((PACK / "config").glob("*.json"))


def test_prod_config_exists() -> None:
    assert (PACK / "config" / "prod.json") in CONFIG_FILES


@pytest.mark.parametrize("path", CONFIG_FILES, ids=lambda p: p.name)
def test_config_files_follow_the_pulumi_policy_config_schema(path: Path) -> None:
    data = json.loads(path.read_text())
    assert isinstance(data, dict)
    for name, entry in data.items():
        assert name in mp.BY_NAME or name == "all", f"{path.name}: unknown policy {name}"
        if isinstance(entry, str):
            assert entry in {"advisory", "mandatory", "disabled", "remediate"}
            continue
        assert entry.get("enforcementLevel", "advisory") in {"advisory", "mandatory", "disabled", "remediate"}
        schema = mp.BY_NAME[name].config_schema
        for key, value in entry.items():
            if key == "enforcementLevel":
                continue
            assert schema is not None and key in schema.properties, f"{path.name}: {name}.{key} is not a setting"
            if schema.properties[key]["type"] == "array":
                assert isinstance(value, list) and all(isinstance(v, str) for v in value)


# ---- the example stacks, evaluated against the pack ------------------------------------------------
#: The stack program's lists, in its order (applications first): stack config key -> type.
KIND_TYPES = {kind.stack_key: kind.type_token for kind in registry.kinds()}
OPTION_KEYS = {"protect", "retainOnDelete", "deleteBeforeReplace", "ignoreChanges"}


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def _set_path(config: dict[str, Any], path: str, value: Any) -> None:
    """`pulumi config set --path` for `ns:key[0].a.b`."""
    head, _, rest = path.partition(".")
    match = re.fullmatch(r"([^\[]+)((?:\[\d+\])*)", head)
    assert match, path
    parts: list[str | int] = [match.group(1), *(int(i) for i in re.findall(r"\[(\d+)\]", match.group(2)))]
    parts += rest.split(".") if rest else []
    node: Any = config
    for part in parts[:-1]:
        node = node[part] if isinstance(part, int) else node.setdefault(part, {})
    node[parts[-1]] = value


@functools.cache
def decrypted_config(name: str) -> dict[str, Any]:
    """The stack's config with its secure values decrypted by the real CLI (dev passphrase)."""
    import shutil
    import subprocess
    import tempfile

    from _harness import ROOT, dev

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "stacks").mkdir()
        shutil.copy(ROOT / "Pulumi.yaml", work / "Pulumi.yaml")
        shutil.copy(STACKS / f"Pulumi.{name}.yaml", work / "stacks" / f"Pulumi.{name}.yaml")
        env = dev.pulumi_env(backend=work / "backend", home=work / "home")
        env["PULUMI_CONFIG_PASSPHRASE"] = dev.DEV_PASSPHRASE
        pulumi = dev.pulumi_bin(env)
        subprocess.run(
            [pulumi, "stack", "init", name, "--non-interactive"], cwd=work, env=env, check=True, capture_output=True
        )
        out = subprocess.run(
            [pulumi, "config", "--show-secrets", "--json", "--stack", name],
            cwd=work,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    config: dict[str, Any] = {}
    for key, entry in json.loads(out).items():
        config[key] = entry.get("objectValue", entry.get("value"))
    return config


def load_stack(name: str) -> tuple[dict[str, Any], list[tuple[str, str, dict[str, Any], bool]]]:
    import copy

    config = copy.deepcopy(decrypted_config(name))
    resources: list[tuple[str, str, dict[str, Any], bool]] = []
    app_ids: dict[str, str] = {}
    for kind, type_ in KIND_TYPES.items():  # the program's order: applications first
        for item in config.get(f"mfa-push:{kind}", []):
            props = {_snake(k): v for k, v in item.items() if k not in OPTION_KEYS | {"name", "application"}}
            if "application" in item:
                props["application_id"] = app_ids[item["application"]]
            if kind == "powerauthApplications":
                app_ids[item["name"]] = props["application_id"]
            resources.append((type_, item["name"], props, bool(item.get("protect", False))))
    return config, resources


def evaluate(stack_name: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Run the pack on a stack's declared objects as a preview of a new stack would: resource
    policies on the inputs, then stack policies on the outputs (= inputs in such a preview)."""
    monkeypatch.setattr(runtime_settings.SETTINGS, "stack", stack_name)
    config_file = PACK / "config" / f"{stack_name}.json"
    pack_config = json.loads(config_file.read_text()) if config_file.exists() else {}
    _, resources = load_stack(stack_name)
    found: dict[str, list[str]] = {}
    for policy in mp.POLICIES:
        entry = pack_config.get(policy.name, {})
        entry = {"enforcementLevel": entry} if isinstance(entry, str) else dict(entry)
        level = entry.pop("enforcementLevel", None) or (policy.enforcement_level or EnforcementLevel.ADVISORY).value
        if level == "disabled":
            continue
        report = Report()
        if isinstance(policy, ResourceValidationPolicy):
            for type_, name, props, protect in resources:
                policy.validate(resource_args(type_, props, name, entry, protect), report)
        else:
            stack_resources = [stack_resource(t, n, p, pr) for t, n, p, pr in resources]
            policy.validate(StackValidationArgs(stack_resources, entry), report)
        if report.messages:
            found[f"{policy.name} ({level})"] = report.messages
    return found


def test_dev_stack_declares_every_kind_and_passes_every_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    config, resources = load_stack("dev")
    # Every kind of object; a migration step (the legacy FCM retirement) has nothing to retire there.
    assert {t for t, *_ in resources} == {k.type_token for k in registry.kinds() if not k.migration}
    assert evaluate("dev", monkeypatch) == {}
    callbacks = config["mfa-push:powerauthCallbacks"]
    assert all(cb["callbackUrl"].startswith("https://") and cb["httpBasic"]["password"] for cb in callbacks)


def test_prod_stack_passes_every_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    config, resources = load_stack("prod")
    assert evaluate("prod", monkeypatch) == {}
    assert config["pingone:regionCode"] == "EU"
    urls = [v for k, v in config.items() if k.endswith((":url", ":apiUrl", ":authUrl"))]
    assert urls and all(u.startswith("https://") for u in urls)
    assert not [k for k in config if k.endswith("allowInsecureHttp")]


def test_legacy_stack_violates_every_mandatory_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    found = evaluate("legacy", monkeypatch)
    mandatory = {p.name for p in mp.POLICIES if p.enforcement_level == EnforcementLevel.MANDATORY}
    mandatory.discard("apns-production-environment")  # legacy is not a production stack
    assert {k.split(" ")[0] for k in found} >= mandatory
    assert len(found["no-deprecated-fcm (mandatory)"]) == 1  # the PingID app (see the stack file on FCM)
    assert len(found["single-owner-of-roles (mandatory)"]) == 2
    assert len(found["one-push-credential-per-type (mandatory)"]) == 1


SECRET_LEAVES = {
    "password",
    "privateKey",
    "serviceAccountJson",
    "clientSecret",
    "token",
    "googleServiceAccountCredentials",
    "fcmServerKey",
}
PROVIDER_SECRETS = {"powerauth:password", "pingone:clientSecret", "pingid:apiKey", "pingid:token"}


def _plain_secrets(node: Any, path: str) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        if set(node) == {"secure"}:
            return []
        for key, value in node.items():
            if key in SECRET_LEAVES and not (isinstance(value, dict) and set(value) == {"secure"}):
                found.append(f"{path}.{key}")
            found += _plain_secrets(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _plain_secrets(value, f"{path}[{i}]")
    return found


def test_stack_secrets_are_secure_values() -> None:
    for name in ("dev", "legacy", "prod"):
        text = (STACKS / f"Pulumi.{name}.yaml").read_text()
        assert "PRIVATE KEY" not in text.replace("# ", "")
        config = yaml.safe_load(text)["config"]
        for key in PROVIDER_SECRETS & set(config):
            assert set(config[key]) == {"secure"}, f"{name}: {key} is in plain text"
        assert _plain_secrets(config, name) == [], f"{name}: secrets in plain text"
