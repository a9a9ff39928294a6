"""The errors services raise. Each carries a message that is safe to show to the client.

    FedianonError
      NotFound            the record does not exist or the viewer may not see it (404)
      Forbidden           the viewer may not do this (403)
      Unauthorized        no valid credentials (401)
      ValidationFailed    the input is wrong (422)
      BadRequest          the request is malformed (400)
      Conflict            the state forbids it (409)
      RateLimited         too many attempts (429, with retry_after seconds)
      Unavailable         a dependency (mail server, peer) failed (503)

The API turns them into Mastodon's `{"error": "..."}` bodies; web pages show the message.
"""

from __future__ import annotations


class FedianonError(Exception):
    status_code = 400

    def __init__(self, message: str, **extra: object) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class NotFound(FedianonError):
    status_code = 404

    def __init__(self, message: str = "Record not found", **extra: object) -> None:
        super().__init__(message, **extra)


class Forbidden(FedianonError):
    status_code = 403

    def __init__(self, message: str = "This action is not allowed", **extra: object) -> None:
        super().__init__(message, **extra)


class Unauthorized(FedianonError):
    status_code = 401

    def __init__(self, message: str = "The access token is invalid", **extra: object) -> None:
        super().__init__(message, **extra)


class ValidationFailed(FedianonError):
    status_code = 422


class BadRequest(FedianonError):
    status_code = 400


class Conflict(FedianonError):
    status_code = 409


class RateLimited(FedianonError):
    status_code = 429

    def __init__(
        self, message: str = "Too many requests", retry_after: int = 60, **extra: object
    ) -> None:
        super().__init__(message, **extra)
        self.retry_after = max(1, int(retry_after))


class Unavailable(FedianonError):
    status_code = 503
