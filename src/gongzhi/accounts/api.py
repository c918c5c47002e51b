"""Token login for API clients, and who am I."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response

from gongzhi.accounts import service
from gongzhi.core.auth import ROLE_PERMISSIONS
from gongzhi.core.web import CurrentPrincipal, SessionDep

router = APIRouter(tags=["账号"])


@router.post("/api/v1/auth/token", summary="用户名密码换取访问令牌")
def token(request: Request, session: SessionDep, username: Annotated[str, Form(max_length=60)],
          password: Annotated[str, Form(max_length=200)]) -> Response:
    user = service.authenticate(session, username, password, request.client.host if request.client else None)
    if user is None:  # answered without raising, so the recorded failure is committed
        return JSONResponse({"error": {"code": "bad_credentials", "message": service.BAD_CREDENTIALS,
                                       "details": None}}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
    return JSONResponse({"access_token": service.token_for(user), "token_type": "bearer"})


@router.get("/api/v1/me", summary="当前用户")
def me(principal: CurrentPrincipal) -> dict[str, Any]:
    return {"id": principal.user_id, "username": principal.username, "display_name": principal.display_name,
            "role": principal.role, "role_label": principal.role_label,
            "scope": {"code": principal.scope_code, "name": principal.scope_name},
            "permissions": sorted(ROLE_PERMISSIONS[principal.role])}
