"""One exception root with a shallow tree. Every error carries a message fit for a user.

`message` is Bahasa Indonesia first with the English after " / ", so API answers and
job records read the same in both languages. An error may be raised with a `Text` pair
(Indonesian, English); `text` is the pair either way (a string is split), so a page shows
one language.
"""

from __future__ import annotations

from collections.abc import Sequence

from provisioner.domain.bilingual import Text, split


class ProvisionerError(Exception):
    """Root of every error this project raises on purpose."""

    def __init__(self, message: str | Text) -> None:
        joined = message.joined() if isinstance(message, Text) else message
        super().__init__(joined)
        self.message = joined
        self.text = message if isinstance(message, Text) else split(message)


class InvalidInput(ProvisionerError):
    """Bad input: maps to HTTP 422 with the field and the reason — every field's reason when
    a form has several mistakes (`problems`), so it can be fixed in one go."""

    def __init__(
        self, field: str, message: str | Text, *, more: Sequence[tuple[str, str]] = ()
    ) -> None:
        super().__init__(message)
        self.field = field
        self.problems: list[tuple[str, str]] = [(field, self.message), *more]

    @classmethod
    def of(cls, problems: Sequence[tuple[str, str]]) -> InvalidInput:
        (field, message), *more = problems
        return cls(field, message, more=more)


class OutOfRange(InvalidInput):
    """A number the store cannot hold or compare (an id past the database's integers): bad
    input, not a server fault (HTTP 422 on the path)."""

    def __init__(self) -> None:
        super().__init__("path", "Angka di luar jangkauan / Number out of range")


class NotFound(ProvisionerError):
    """The thing asked for does not exist (HTTP 404)."""


class Conflict(ProvisionerError):
    """The action clashes with the current state: name taken, wrong request state,
    site busy with another job (HTTP 409)."""


class Forbidden(ProvisionerError):
    """The actor's role may not do this (HTTP 403)."""


class UnsafeChange(ProvisionerError):
    """A planned hardware change crosses a safety limit (apex, NS/SOA, not ours)."""


class ProtectedRecord(UnsafeChange):
    """A change at a name whose record the network team marked infrastructure when it was
    adopted: provisioner never changes, deletes or adds anything there."""


class TooMuchChange(UnsafeChange):
    """A plan changes more records at once than the limit allows (octoDNS's TooMuchChange):
    refused unless the caller forces it explicitly."""

    def __init__(self, message: str | Text, *, changes: int, limit: int) -> None:
        super().__init__(message)
        self.changes = changes
        self.limit = limit


class StepFailed(ProvisionerError):
    """A hardware step failed on a named server; the job records step, server and reason."""

    def __init__(self, step: str, server: str, reason: str) -> None:
        super().__init__(f"{step} @ {server}: {reason}")
        self.step = step
        self.server = server
        self.reason = reason


class ServerUnreachable(StepFailed):
    """A server did not answer at all (worth retrying later)."""


class TooManyAttempts(ProvisionerError):
    """Too many failed attempts from one place in a while; try again after `retry_after`
    seconds (HTTP 429 with Retry-After)."""

    def __init__(self, message: str | Text, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
