"""What the program and a no-change preview import (issue 16): the resources and their checks
and diffs, but not the HTTP stack, which only an API call needs. Each case runs in a fresh
interpreter, as the program and the provider host do."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from _material import apns_p8

HTTP_STACK = ("httpx", "httpcore", "tenacity", "jwt")
#: A valid APNS credential's inputs, as check() gets them.
APNS = {
    "environment_id": "a3c2f1e0-5b4d-4e6f-8a7b-9c0d1e2f3a4b",
    "application_id": "11111111-2222-4333-8444-555555555555",
    "type": "APNS",
    "key": "KEYID12345",
    "team_id": "TEAM123456",
    "token": apns_p8(),
}


def imported_after(code: str) -> set[str]:
    """The top-level packages of HTTP_STACK and cryptography that `code` left in sys.modules."""
    probe = textwrap.dedent(code) + textwrap.dedent(
        f"""
        import json, sys
        print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & {{*{HTTP_STACK!r}, "cryptography"}})))
        """
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_declaring_resources_imports_no_http_stack_and_no_cryptography() -> None:
    assert imported_after("import pulumi_mfa_push.powerauth, pulumi_mfa_push.pingone, pulumi_mfa_push.pingid") == set()
    assert imported_after("from pulumi_mfa_push import registry\nregistry.kinds()") == set()


def test_a_check_and_a_diff_import_no_http_stack() -> None:
    news = APNS
    code = f"""
        from pulumi_mfa_push.pingone.push_credential import PushCredentialProvider
        provider = PushCredentialProvider()
        result = provider.check({{}}, {news!r})
        assert not result.failures, result.failures
        assert not provider.diff("id", result.inputs, result.inputs).changes
    """
    # The key is parsed, so cryptography is loaded; nothing of the HTTP stack is.
    assert imported_after(code) == {"cryptography"}


def test_the_first_api_call_imports_the_http_stack() -> None:
    code = """
        from pulumi_mfa_push.pingone.push_credential import PushCredentialProvider
        from pulumi_mfa_push.pingone import push_credential
        push_credential._client.api  # the first use of the client, as an API call makes it
    """
    assert {"httpx", "tenacity"} <= imported_after(code)


def test_an_unchanged_resource_is_checked_without_parsing_its_keys() -> None:
    # A no-change preview hands check() the inputs it accepted at the last deployment: nothing
    # to validate again, so the provider host does not even load the key parser.
    news = APNS
    code = f"""
        from pulumi_mfa_push.pingone.push_credential import PushCredentialProvider
        result = PushCredentialProvider().check({news!r}, {news!r})
        assert not result.failures and result.inputs == {news!r}
    """
    assert imported_after(code) == set()


def test_a_changed_resource_is_checked_in_full() -> None:
    from pulumi_mfa_push.pingone.push_credential import PushCredentialProvider

    olds = {
        "environment_id": "a3c2f1e0-5b4d-4e6f-8a7b-9c0d1e2f3a4b",
        "application_id": "11111111-2222-4333-8444-555555555555",
        "type": "HMS",
        "client_id": "123456",
        "client_secret": "hms-secret",
    }
    provider = PushCredentialProvider()
    assert not provider.check(olds, dict(olds)).failures
    result = provider.check(olds, olds | {"application_id": "not-a-uuid"})
    assert [f.property for f in result.failures] == ["application_id"]
