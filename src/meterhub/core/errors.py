"""The domain's errors; each face renders them in its own service's shape."""

from __future__ import annotations


class MeterhubError(Exception):
    """Base of every error a face may translate; the message is a hint for the user."""


class Invalid(MeterhubError):
    """The input cannot be accepted as it is."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class TelegramError(Invalid):
    """The text is not a telegram that can be accepted; the message says what is wrong and what to do,
    the reason what kind of problem it is in a few words (the log tells of each kind once a minute)."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class TooLarge(MeterhubError):
    """The input is larger than meterhub takes."""


class NotFound(MeterhubError):
    """The thing asked for does not exist (or the caller may not know it exists)."""


class Forbidden(MeterhubError):
    """The caller is known but may not do this."""


class Unauthorized(MeterhubError):
    """The caller could not be identified; `reason` says why for the server's log (the caller is
    told no more than the message, which must not help anyone guessing keys)."""

    def __init__(self, message: str, *, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


class Conflict(MeterhubError):
    """The write contradicts what is already stored."""


class Unavailable(MeterhubError):
    """A service meterhub depends on (an external broker, say) cannot be used right now."""


class RateLimited(MeterhubError):
    """Too many requests; retry after the given number of seconds."""

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class StorageFull(Unavailable):
    """The database cannot grow (a full disk): nothing was written; try again later."""

    def __init__(
        self, message: str = "the disk is full; nothing was stored", *, retry_after_s: int = 60
    ) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
