"""A live database of its own for tests that need real concurrent transactions (several connections committing
at once) or a real server killed mid-load — what the rolled-back `session` fixture cannot give.

`new_database(backend)` makes an empty database (a new SQLite file, or a new PostgreSQL database created on the
suite's server and dropped afterwards); `build(url)` migrates it with alembic and loads the tiny generated city,
the official calendar, the demo accounts and a small duty catalog of our own (one matter type per tier, led by a
department we create, so nothing here depends on the demo catalog). `pointed_at(url)` points the process's
settings and caches (settings, grid index, working-day calendar) at that database for the duration.

The functions here are plain (no pytest), so bench/appeals.py builds its databases the same way.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "gongzhi2024"
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
TIERS = ("grid", "community", "street", "department")


# ---- an empty database -----------------------------------------------------------------------------------

def pg_server_url() -> str:
    return os.environ.get("GONGZHI_TEST_PG_URL", PG_DEFAULT)


from tests.conftest import pg_reachable  # noqa: E402, F401 - one check, shared with the suite and the bench


@contextmanager
def new_database(backend: str, *, prefix: str = "gongzhi_live") -> Iterator[str]:
    """The URL of a new, empty database on `backend`, removed afterwards (files, or DROP DATABASE … FORCE)."""
    from gongzhi.core.db import get_engine

    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix=f"{prefix}-"))
        url = f"sqlite:///{folder / 'live.db'}"
        try:
            yield url
        finally:
            get_engine(url).dispose()
            shutil.rmtree(folder, ignore_errors=True)
        return
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    server = make_url(pg_server_url().replace("postgresql://", "postgresql+psycopg://", 1))
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_server_url()).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        get_engine(url).dispose()  # the pooled connections, so the database can be dropped
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# ---- settings and process caches -------------------------------------------------------------------------

def _forget_caches() -> None:
    """The point → grid index and the working-day calendar are cached per process, not per database."""
    from gongzhi.core import calendar
    from gongzhi.regions import service as regions

    regions.invalidate_index()
    calendar.reset_cache()


@contextmanager
def pointed_at(url: str) -> Iterator[None]:
    """GONGZHI_DATABASE_URL (and so get_settings()) names `url` inside the block; restored after, with the
    process caches that hold another database's rows dropped on the way in and out. Code under test is given
    sessions on `get_engine(url)` explicitly; get_engine() without a URL is never called here, so the suite's
    cached engine is left alone."""
    from gongzhi.core.settings import get_settings

    before = os.environ.get("GONGZHI_DATABASE_URL")
    os.environ["GONGZHI_DATABASE_URL"] = url
    get_settings.cache_clear()
    _forget_caches()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("GONGZHI_DATABASE_URL", None)
        else:
            os.environ["GONGZHI_DATABASE_URL"] = before
        get_settings.cache_clear()
        _forget_caches()


# ---- the city, the accounts, a catalog --------------------------------------------------------------------

@dataclass
class LiveCity:
    """What a live database holds beyond the generated city: codes and points the tests and the bench use."""

    url: str
    backend: str
    department_id: int
    department_code: str
    matters: dict[str, str]  # tier (and tier-n for the extra ones) → matter code
    grid_code: str  # the demo accounts' grid
    grid_point: tuple[float, float]  # (lat, lon) inside that grid, WGS-84
    grid_points: list[tuple[float, float]] = field(default_factory=list)  # one point inside every grid

    def engine(self) -> Engine:
        from gongzhi.core.db import get_engine

        return get_engine(self.url)

    def session(self) -> Session:
        """A new session on its own pooled connection (the app's settings: expire_on_commit=False)."""
        return Session(self.engine(), expire_on_commit=False)


def build(url: str, *, scale: str = "tiny", seed: int = 7, more_matters: int = 0) -> LiveCity:
    """Migrate `url` and load the generated city, the official calendar, the demo accounts (password
    gongzhi2024) and one matter type per tier led by a new department; the demo `handler` works for it.
    `more_matters` more matter types per tier (LIVE-M<tier>-<n>) give a catalog of realistic selectivity.
    Call inside `pointed_at(url)`."""
    from alembic import command
    from shapely.geometry import shape

    from gongzhi.accounts.demo import demo_scopes, ensure_demo_accounts
    from gongzhi.accounts.models import User
    from gongzhi.cli import alembic_config
    from gongzhi.core import audit
    from gongzhi.core.calendar import seed_official
    from gongzhi.core.db import get_engine
    from gongzhi.duties.models import Department, DutyCategory, MatterType
    from gongzhi.regions.generate import generate_city
    from gongzhi.regions.models import Region

    command.upgrade(alembic_config(url), "head")
    generate_city(scale=scale, seed=seed, url=url)
    with audit.acting_as(audit.Actor(None, "test")), Session(get_engine(url), expire_on_commit=False) as s:
        seed_official(s)
        s.commit()
        ensure_demo_accounts(s, PASSWORD)
        scopes = demo_scopes(s)
        root = scopes["city"]
        dep = Department(code="LIVE-D1", name="市城市管理局", region_id=root.id)
        s.add(dep)
        s.flush()
        top = DutyCategory(code="LIVE-C1", name="城乡建设", level=1)
        s.add(top)
        s.flush()
        sub = DutyCategory(code="LIVE-C11", name="城市建设和市政管理", level=2, parent_id=top.id)
        s.add(sub)
        s.flush()
        names = {"grid": "占道经营", "community": "邻里纠纷", "street": "小区改造", "department": "违章建筑"}
        matters = {}
        for i, (tier, name) in enumerate(names.items()):
            code = f"LIVE-M{i + 1}"
            s.add(MatterType(code=code, name=name, category_id=sub.id, tier=tier, lead_department_id=dep.id,
                             assist_department_ids=[], accept_hours=4, resolve_days=3, keywords=name))
            matters[tier] = code
            for n in range(more_matters):
                s.add(MatterType(code=f"LIVE-M{i + 1}-{n + 1}", name=f"{name}{n + 1}", category_id=sub.id, tier=tier,
                                 lead_department_id=dep.id, assist_department_ids=[], accept_hours=4,
                                 resolve_days=3 + n % 5, keywords=name))
                matters[f"{tier}-{n + 1}"] = f"LIVE-M{i + 1}-{n + 1}"
        handler = s.scalars(select(User).where(User.username == "handler")).one()
        handler.department_id = dep.id
        grid = scopes["grid"]
        points = []
        for (geometry,) in s.execute(select(Region.geometry).where(Region.level == "grid",
                                                                   Region.geometry.is_not(None))
                                     .order_by(Region.id)):
            p = shape(json.loads(geometry)).representative_point()
            points.append((p.y, p.x))
        p = shape(json.loads(grid.geometry)).representative_point()
        city = LiveCity(url=url, backend=make_url(url).get_backend_name(), department_id=dep.id,
                        department_code=dep.code, matters=matters, grid_code=grid.code, grid_point=(p.y, p.x),
                        grid_points=points)
        s.commit()
    return city


# ---- acting as a demo account -----------------------------------------------------------------------------

def principal(session: Session, username: str) -> Any:
    from gongzhi.accounts.models import User
    from gongzhi.accounts.service import principal_for

    user = session.scalars(select(User).where(User.username == username)).one()
    return principal_for(session, user)


# ---- a real server ----------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def gongzhi_command() -> list[str]:
    exe = Path(sys.executable).parent / "gongzhi"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "gongzhi.cli"]


def server_env(url: str, **extra: str) -> dict[str, str]:
    """The environment of a server on `url` holding this process's keys (the city's personal data was sealed
    with them)."""
    from gongzhi.core.settings import get_settings

    s = get_settings()
    return {**os.environ, "GONGZHI_DATABASE_URL": url, "GONGZHI_SECRET_KEY": s.secret_key,
            "GONGZHI_DATA_KEY": s.data_key, "GONGZHI_ENVIRONMENT": "development", **extra}


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    base: str
    log: Path


def serve_command(port: int, *, workers: int = 1, group_commit: bool = False) -> list[str]:
    """`gongzhi serve --no-worker`; or, with `group_commit`, the same app with the group-commit intake route
    (gongzhi.appeals.intake_batch) served by uvicorn with the same settings, until that route is wired in."""
    if group_commit:
        return [sys.executable, "-m", "uvicorn", "gongzhi.appeals.intake_batch:create_app", "--factory", "--host",
                "127.0.0.1", "--port", str(port), "--workers", str(workers), "--proxy-headers"]
    return [*gongzhi_command(), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
            "--no-worker"]


def start_server(url: str, *, log: Path, workers: int = 1, group_commit: bool = False,
                 env: dict[str, str] | None = None, timeout: float = 60) -> Server:
    """A server (see serve_command) on a free port against `url`, once /healthz answers."""
    port = free_port()
    cmd = serve_command(port, workers=workers, group_commit=group_commit)
    log.parent.mkdir(parents=True, exist_ok=True)
    out = log.open("wb")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env or server_env(url), stdout=out, stderr=subprocess.STDOUT)
    out.close()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}:\n"
                               + log.read_text(errors="replace")[-3000:])
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return Server(proc, base, log)
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"the server did not answer within {timeout:.0f} s; see {log}")
        time.sleep(0.1)


def stop_server(server: Server) -> None:
    if server.proc.poll() is None:
        server.proc.terminate()
        try:
            server.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait()


def login(base: str, username: str, password: str = PASSWORD) -> str:
    """A bearer token from POST /api/v1/auth/token."""
    data = urllib.parse.urlencode({"username": username, "password": password}).encode()
    with urllib.request.urlopen(urllib.request.Request(base + "/api/v1/auth/token", data=data), timeout=30) as r:
        return str(json.loads(r.read())["access_token"])
