"""PingOne: MFA push credentials of native applications."""

from .push_credential import PushCredential

__all__ = ["PushCredential"]
