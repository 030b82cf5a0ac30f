"""Domain errors: each carries the short message the user should read."""

from __future__ import annotations


class DomainError(Exception):
    """Something the user asked for cannot be done; ``str(error)`` says why and what to do instead."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The thing asked for does not exist in this server."""


class AlreadyExists(DomainError):
    """The thing would duplicate one that exists."""


class InvalidInput(DomainError):
    """An option's value is not acceptable; the message says what was wrong and what would work."""


class NotAllowed(DomainError):
    """The member may not do this; the message names what they would need."""
