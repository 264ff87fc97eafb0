"""Identities from outside the app: single sign-on (OpenID Connect), SCIM provisioning, and the second factor."""
