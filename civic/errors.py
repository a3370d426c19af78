"""One error type carrying its HTTP status, rendered by one handler as errors/<status>.html."""
from __future__ import annotations


class DomainError(Exception):
    """A refusal the user should read: `message` is already translated (see civic.i18n._)."""

    status = 400

    def __init__(self, message: str, status: int | None = None, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if status is not None:
            self.status = status


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class Invalid(DomainError):
    status = 422
