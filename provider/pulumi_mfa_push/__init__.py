"""Pulumi dynamic resources for MFA push and mobile-auth services.

Modules: `powerauth` (PowerAuth Cloud), `pingone` (PingOne push credentials),
`pingid` (PingID SDK applications)."""

__version__ = "0.2.0"
