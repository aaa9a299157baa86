"""PowerAuth Cloud: applications, role sets, callbacks and push configuration."""

from .application import Application
from .application_roles import ApplicationRoles
from .callback import Callback, HttpBasicAuth
from .push import ApnsConfig, FcmConfig, HmsConfig

__all__ = ["ApnsConfig", "Application", "ApplicationRoles", "Callback", "FcmConfig", "HmsConfig", "HttpBasicAuth"]
