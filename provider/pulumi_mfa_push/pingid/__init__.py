"""PingID SDK: applications."""

from ..registry import ResourceKind
from .application import Application

RESOURCES = (ResourceKind(Application, stack_key="pingidApplications"),)

__all__ = ["RESOURCES", "Application"]
