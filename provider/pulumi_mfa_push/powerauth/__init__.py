"""PowerAuth Cloud: applications, role sets, callbacks and push configuration."""

from ..registry import ResourceKind
from .application import Application
from .application_roles import ApplicationRoles
from .callback import Callback, HttpBasicAuth
from .push import ApnsConfig, FcmConfig, HmsConfig

#: This API's resources, in declaration order (applications first: the others refer to them).
RESOURCES = (
    ResourceKind(Application, stack_key="powerauthApplications"),
    ResourceKind(ApplicationRoles, stack_key="powerauthRoleSets"),
    ResourceKind(Callback, stack_key="powerauthCallbacks"),
    ResourceKind(ApnsConfig, stack_key="powerauthApns"),
    ResourceKind(FcmConfig, stack_key="powerauthFcm"),
    ResourceKind(HmsConfig, stack_key="powerauthHms"),
)

__all__ = [
    "RESOURCES",
    "ApnsConfig",
    "Application",
    "ApplicationRoles",
    "Callback",
    "FcmConfig",
    "HmsConfig",
    "HttpBasicAuth",
]
