"""Domain logic. Services flush but never commit, and never touch the request."""


class DomainError(Exception):
    """A rule of the product was broken; the message is safe to show to the user."""


class FieldError(DomainError):
    """A DomainError that belongs to one input, so a form shows it next to that field and the API names it."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


def on_field(field_name: str, check, *args):
    """Run a check; a DomainError it raises becomes a FieldError of `field_name`."""
    try:
        return check(*args)
    except FieldError:
        raise
    except DomainError as exc:
        raise FieldError(field_name, str(exc)) from None
