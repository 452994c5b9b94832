"""Domain errors: raised by services with a message a person can act on.

The API turns them into JSON `{detail, errors: [{field, message}]}` with the status below;
the pages show them next to the form field they name.
"""


class DomainError(Exception):
    status = 422

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def as_errors(self) -> list[dict[str, str]]:
        return [{"field": self.field, "message": self.message}] if self.field else []


class InvalidInput(DomainError):
    """The request names something wrong: a bad value, an unknown SKU or warehouse."""

    status = 422


class NotFound(DomainError):
    """An object addressed by the path does not exist for this company."""

    status = 404


class Conflict(DomainError):
    """The request is valid but the object's state refuses it (ship a cancelled order)."""

    status = 409


class InsufficientStock(DomainError):
    status = 422
