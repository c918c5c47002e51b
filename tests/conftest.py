"""Test fixtures: a real database per backend (SQLite file or PostgreSQL), schema built by the migrations,
a small generated city committed once, and each test inside a transaction rolled back at the end."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
PASSWORD = "gongzhi2024"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--backend", choices=("sqlite", "postgresql"), default="sqlite",
                     help="database the suite runs against")


def _pg_url() -> str:
    return os.environ.get("GONGZHI_TEST_PG_URL", PG_DEFAULT)


def pg_reachable(url: str) -> str | None:
    """None if PostgreSQL answers at `url`, else the reason."""
    from sqlalchemy import create_engine

    try:
        eng = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1),
                            connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(text("SELECT 1"))
        eng.dispose()
    except Exception as exc:  # any driver error means "not reachable" here
        return str(exc).splitlines()[0]
    return None


def pytest_configure(config: pytest.Config) -> None:
    backend = config.getoption("--backend")
    root = Path(config.rootpath) / "test-artifacts"
    root.mkdir(exist_ok=True)
    if backend == "sqlite":
        db = root / f"suite-{os.getpid()}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        url = f"sqlite:///{db}"
    else:
        url = _pg_url()
        reason = pg_reachable(url)
        if reason is not None:
            message = f"PostgreSQL is not reachable at {url}: {reason}"
            if ON_CI:
                raise pytest.UsageError(message + " (on CI the PostgreSQL run may not be skipped)")
            config.issue_config_time_warning(pytest.PytestWarning(message + "; PostgreSQL tests skipped"), 2)
            config.option.markexpr = "not_a_marker_that_exists"
            config._gongzhi_pg_missing = message  # type: ignore[attr-defined]
        else:
            url = _worker_database(url)
    os.environ["GONGZHI_DATABASE_URL"] = url
    os.environ.setdefault("GONGZHI_SECRET_KEY", "test-secret-key-for-the-suite")
    os.environ["GONGZHI_MEDIA_DIR"] = str(root / f"media-{os.getpid()}")  # appeal photos written by the suite
    config._gongzhi_url = url  # type: ignore[attr-defined]


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets a database of its own (the suite drops and rebuilds the schema), named
    after the configured one plus the worker id; created on first use and reused by later runs."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    server = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{server.database}_{worker}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False).replace(
        "postgresql+psycopg://", "postgresql://", 1)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = getattr(config, "_gongzhi_pg_missing", None)
    if missing:
        skip = pytest.mark.skip(reason=missing)
        for item in items:
            item.add_marker(skip)


def _fresh_schema(engine: Engine) -> None:
    from alembic import command

    from gongzhi.cli import alembic_config

    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    command.upgrade(alembic_config(), "head")


@pytest.fixture(scope="session")
def db_url(pytestconfig: pytest.Config) -> str:
    return str(pytestconfig._gongzhi_url)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    from gongzhi.core.db import get_engine
    from gongzhi.core.settings import get_settings

    get_settings.cache_clear()
    eng = get_engine()
    _fresh_schema(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def city(engine: Engine) -> dict[str, Any]:
    """The tiny Anning (2 streets × 3 communities, 24 grids) with one account per role, committed once."""
    from gongzhi.accounts.demo import demo_scopes, ensure_demo_accounts
    from gongzhi.accounts.service import create_user
    from gongzhi.core.db import session_scope
    from gongzhi.regions.generate import generate_city
    from gongzhi.regions.models import Region

    generate_city(scale="tiny", seed=7)
    with session_scope() as session:
        from gongzhi.core.calendar import seed_official

        seed_official(session)  # the official holidays 2004–2026: deadlines are counted in working days
    with session_scope() as session:
        ensure_demo_accounts(session, PASSWORD)
        scopes = demo_scopes(session)
        # a second grid worker and community secretary elsewhere, to test "outside scope"
        from sqlalchemy import select

        other_grid = session.scalars(select(Region).where(Region.level == "grid").order_by(Region.path.desc())).first()
        assert other_grid is not None
        other_comm = session.scalars(select(Region).where(
            Region.code.in_(other_grid.path.strip("/").split("/")), Region.level == "community")).one()
        create_user(session, username="grid2", password=PASSWORD, role="grid_worker", scope_code=other_grid.code)
        create_user(session, username="community2", password=PASSWORD, role="community_staff",
                    scope_code=other_comm.code)
        # a handler of another department (住建局; "handler" is in 城管局), to test "another department's case"
        from gongzhi.duties.models import Department

        zjj = session.scalars(select(Department).where(Department.code == "ZJJ")).one()
        create_user(session, username="handler2", password=PASSWORD, role="department_handler",
                    scope_code=scopes["city"].code, department_id=zjj.id)
        return {"scopes": {k: v.code for k, v in scopes.items()}, "other_grid": other_grid.code,
                "other_community": other_comm.code}


@pytest.fixture
def session(engine: Engine, city: dict[str, Any]) -> Iterator[Session]:
    """A session whose commits are savepoints inside one transaction rolled back after the test."""
    conn = engine.connect()
    trans = conn.begin()
    s = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield s
    finally:
        s.close()
        trans.rollback()
        conn.close()


@pytest.fixture
def app(session: Session) -> Any:
    from gongzhi.app import create_app
    from gongzhi.core.db import unit_of_work
    from gongzhi.core.web import get_session

    application = create_app()

    def _session() -> Iterator[Session]:
        with unit_of_work(session):
            yield session

    application.dependency_overrides[get_session] = _session
    return application


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


_tokens: dict[str, str] = {}


@pytest.fixture
def token(client: Any) -> Any:
    """token("grid") → a bearer token for that demo account."""

    def _get(username: str) -> str:
        if username not in _tokens:
            r = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
            assert r.status_code == 200, r.text
            _tokens[username] = r.json()["access_token"]
        return _tokens[username]

    return _get


@pytest.fixture
def auth(token: Any) -> Any:
    """auth("grid") → headers with that account's bearer token."""
    return lambda username: {"Authorization": f"Bearer {token(username)}"}


@pytest.fixture
def principal(session: Session) -> Any:
    """principal("grid") → the Principal of that account, for service-level tests."""
    from sqlalchemy import select

    from gongzhi.accounts.models import User
    from gongzhi.accounts.service import principal_for

    def _get(username: str) -> Any:
        user = session.scalars(select(User).where(User.username == username)).one()
        return principal_for(session, user)

    return _get




@pytest.fixture(autouse=True)
def _fresh_calendar() -> Iterator[None]:
    """The working-day calendar is cached per process; a test that changed it (then rolled back) must not leave
    the cache holding days the database no longer has."""
    yield
    import sys

    if "gongzhi.core.calendar" in sys.modules:
        sys.modules["gongzhi.core.calendar"].reset_cache()


@pytest.fixture(autouse=True)
def _fresh_grid_index() -> Iterator[None]:
    """The point → grid index is process-wide; a test that changed grids (then rolled back) must not leave it
    holding polygons the database no longer has."""
    yield
    import sys

    if "gongzhi.regions.service" in sys.modules:
        sys.modules["gongzhi.regions.service"].invalidate_index()
