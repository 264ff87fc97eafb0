"""Domain logic. Services flush but never commit, and never touch the request."""


class DomainError(Exception):
    """A rule of the product was broken; the message is safe to show to the user."""
