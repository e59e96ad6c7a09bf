"""Domain errors, raised by services and mapped by each door.

    DomainError
     ├── Invalid          400  BAD_REQUEST      bad input, names the field
     ├── Unauthenticated  401  UNAUTHENTICATED  missing, malformed, expired or revoked credentials
     ├── Forbidden        403  FORBIDDEN        a valid-looking but unrecognised caller (carrier callbacks)
     ├── NotFound         404  NOT_FOUND        absent, or owned by another organisation
     ├── Conflict         409  CONFLICT         the request clashes with current state
     ├── TooLarge         413  BAD_REQUEST      the body is over the route's size limit
     ├── RateLimited      429  RATE_LIMITED     carries the limit text and seconds until reset
     └── Unavailable      503  UNAVAILABLE      a dependency (queue, provider) cannot serve now

GraphQL turns them into errors with `extensions.code`; the REST shim into the HTTP status and
`{"detail": message}`.
"""

from __future__ import annotations


class DomainError(Exception):
    status: int = 400
    code: str = "BAD_REQUEST"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Invalid(DomainError):
    status = 400
    code = "BAD_REQUEST"


class Unauthenticated(DomainError):
    status = 401
    code = "UNAUTHENTICATED"

    def __init__(self, detail: str = "Invalid or expired token") -> None:
        super().__init__(detail)


class Forbidden(DomainError):
    status = 403
    code = "FORBIDDEN"


class NotFound(DomainError):
    status = 404
    code = "NOT_FOUND"


class Conflict(DomainError):
    status = 409
    code = "CONFLICT"


class TooLarge(DomainError):
    status = 413
    code = "BAD_REQUEST"


class RateLimited(DomainError):
    status = 429
    code = "RATE_LIMITED"

    def __init__(self, limit: str, retry_after: int) -> None:
        super().__init__(f"Rate limit exceeded: {limit}")
        self.limit = limit
        self.retry_after = retry_after


class Unavailable(DomainError):
    status = 503
    code = "UNAVAILABLE"


ERROR_BY_CODE: dict[str, type[DomainError]] = {
    cls.code: cls for cls in (Invalid, Unauthenticated, Forbidden, NotFound, Conflict, RateLimited, Unavailable)
}
