"""PingOne: MFA push credentials of native applications."""

from ..registry import ResourceKind
from .push_credential import PushCredential

RESOURCES = (ResourceKind(PushCredential, stack_key="pingonePushCredentials"),)

__all__ = ["RESOURCES", "PushCredential"]
