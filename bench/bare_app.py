"""The baseline of `make bench-appeals`: a bare FastAPI app whose POST /api/v1/appeals only validates the body
with the same pydantic model as the real intake (AppealCreate) and answers 201 — the framework's own rate on
this machine, served by the same uvicorn settings as `gongzhi serve`.

    uvicorn bench.bare_app:app --host 127.0.0.1 --port 8001 --workers N
"""

from __future__ import annotations

import itertools
from typing import Any

from fastapi import FastAPI

from gongzhi.appeals.schemas import AppealCreate

app = FastAPI(title="bare intake baseline")
_ids = itertools.count(1)


@app.post("/api/v1/appeals", status_code=201)
async def create_appeal(body: AppealCreate) -> dict[str, Any]:
    return {"id": next(_ids), "status": "received", "title": body.title}


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
