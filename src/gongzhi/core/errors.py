"""One error type for everything a client can get wrong; rendered as JSON or as an HTML page."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class NotFound(AppError):
    """Also what a user outside the scope of a thing sees, so nothing leaks that it exists."""

    status = 404
    code = "not_found"

    def __init__(self, message: str = "未找到该记录或无权查看", **kw: Any) -> None:
        super().__init__(message, **kw)


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"

    def __init__(self, message: str = "请先登录", **kw: Any) -> None:
        super().__init__(message, **kw)


class Forbidden(AppError):
    status = 403
    code = "forbidden"

    def __init__(self, message: str = "您的角色无权进行此操作", **kw: Any) -> None:
        super().__init__(message, **kw)


class Conflict(AppError):
    status = 409
    code = "conflict"


class ValidationFailed(AppError):
    status = 422
    code = "validation_failed"


class TooManyAttempts(AppError):
    status = 429
    code = "too_many_attempts"
