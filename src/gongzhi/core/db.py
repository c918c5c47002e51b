"""Engine, sessions and the declarative base. The only place that knows about SQL dialects."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, Engine, Float, MetaData, bindparam, create_engine, event, text, update
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from gongzhi.core.settings import get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC on both SQLite (which drops the zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, _dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use gongzhi.core.clock.now()")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, _dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # SQLAlchemy, not pysqlite, begins transactions (see _sqlite_begin): pysqlite's own handling lets a SAVEPOINT
    # open a transaction of its own whose RELEASE commits, so a rolled-back request could keep half its work.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    """Every transaction takes SQLite's write lock at its start (BEGIN IMMEDIATE): one writer at a time, as SQLite
    has anyway, waiting its turn (busy_timeout) instead of failing with SQLITE_BUSY_SNAPSHOT when it reads first
    and writes after another connection committed. Reads wait for the writer too; PostgreSQL is the production
    database for concurrent load. A connection opened with `execution_options(read_only=True)` begins a plain
    (deferred) transaction instead: a long read (a roll-up refresh) that must not hold writers up."""
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("read_only") else "BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


@lru_cache
def get_engine(url: str | None = None) -> Engine:
    return make_engine(url or get_settings().database_url)


@lru_cache
def _factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def session_factory() -> sessionmaker[Session]:
    return _factory(get_engine())


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """Commit when the block ends, roll back if it raises: the one transaction of a request or a job."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


@contextmanager
def session_scope() -> Iterator[Session]:
    """A new session for one unit of work outside a request (CLI, jobs)."""
    session = session_factory()()
    try:
        with unit_of_work(session):
            yield session
    finally:
        session.close()


def is_sqlite(session_or_engine: Session | Engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "sqlite"


def prefix_range(column: Any, prefix: str) -> Any:
    """`column` starts with `prefix`, as a range both databases answer from a B-tree index."""
    return (column >= prefix) & (column < prefix[:-1] + chr(ord(prefix[-1]) + 1))


def reset_sequences(conn: Any, tables: list[str]) -> None:
    """After inserting explicit ids, move PostgreSQL's sequences past them (SQLite needs nothing)."""
    if conn.dialect.name != "postgresql":
        return
    for t in tables:
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), COALESCE((SELECT MAX(id) FROM {t}), 0) + 1, false)")


def skip_locked(stmt: Any, session: Session) -> Any:
    """`stmt` (a SELECT) locking the rows it returns and passing over rows other transactions hold: how several
    workers take different rows of one queue (PostgreSQL's FOR UPDATE SKIP LOCKED). SQLite has no row locks and
    one writer at a time: the statement is returned unchanged, and the caller claims the rows with a
    compare-and-set UPDATE that must not follow a read in the same transaction (the read would pin a snapshot
    that a concurrent writer makes stale, and the write would then fail instead of waiting)."""
    return stmt if is_sqlite(session) else stmt.with_for_update(skip_locked=True)


def insert_unless_duplicate(model: Any, session: Session, *columns: str) -> Any:
    """INSERT … ON CONFLICT (columns) DO NOTHING (with .returning(), no row comes back for a duplicate): an
    idempotent insert without a savepoint — pysqlite's default transaction handling lets a SAVEPOINT open, and
    its RELEASE commit, a transaction of its own — and without aborting the transaction on PostgreSQL."""
    from sqlalchemy.dialects import postgresql, sqlite

    make = sqlite.insert if is_sqlite(session) else postgresql.insert
    return make(model).on_conflict_do_nothing(index_elements=list(columns))


def update_rows(session: Session, table: Any, rows: list[dict[str, Any]], *, keys: tuple[str, ...],
                columns: tuple[str, ...], fixed: dict[str, Any] | None = None, bump: str | None = None) -> int:
    """Update many rows, each with values of its own: `rows` hold the `keys` (matched by equality) and the new
    `columns`; `fixed` values are the same for every row; `bump` names a counter to add one to. Returns how many
    rows matched.

    SQLite runs one prepared statement per row (cheap in-process); PostgreSQL gets a single statement that
    joins the table to the rows passed as one array per column (`UPDATE … FROM unnest(…)`), instead of a round
    of parse, plan and execute per row."""
    if not rows:
        return 0
    fixed = fixed or {}
    extra = {bump: table.c[bump] + 1} if bump else {}
    if is_sqlite(session):
        stmt = (update(table).where(*(table.c[k] == bindparam(f"k_{k}") for k in keys))
                .values(**{c: bindparam(f"v_{c}") for c in columns}, **fixed, **extra))
        params = [{**{f"k_{k}": r[k] for k in keys}, **{f"v_{c}": r[c] for c in columns}} for r in rows]
        return int(session.execute(stmt, params).rowcount)
    dialect = session.get_bind().dialect
    names = keys + columns
    arrays, casts = {}, []
    for n in names:
        col_type = table.c[n].type
        process = col_type.bind_processor(dialect)
        arrays[f"a_{n}"] = [process(r[n]) if process else r[n] for r in rows]
        casts.append(f"CAST(:a_{n} AS {col_type.compile(dialect=dialect)}[])")
    sets = [f"{c} = given.{c}" for c in columns] + [f"{c} = :f_{c}" for c in fixed]
    sets += [f"{bump} = {table.name}.{bump} + 1"] if bump else []
    sql = (f"UPDATE {table.name} SET {', '.join(sets)} FROM unnest({', '.join(casts)}) AS given({', '.join(names)}) "
           f"WHERE {' AND '.join(f'{table.name}.{k} = given.{k}' for k in keys)}")
    fixed_params = {}
    for c, v in fixed.items():
        process = table.c[c].type.bind_processor(dialect)
        fixed_params[f"f_{c}"] = process(v) if process else v
    return int(session.execute(text(sql), {**arrays, **fixed_params}).rowcount)


def copy_rows(conn: Any, table: Any, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Many rows (in Python types) into `table` at once, through the column types' own bind processors: COPY on
    PostgreSQL, the driver's executemany on SQLite. For bulk loads (generators, benchmarks), not requests."""
    dialect = conn.dialect
    procs = [(i, p) for i, c in enumerate(columns) if (p := table.c[c].type._cached_bind_processor(dialect))]
    cooked: list[Any] = rows
    if procs:
        cooked = []
        for row in rows:
            values = list(row)
            for i, p in procs:
                if values[i] is not None:
                    values[i] = p(values[i])
            cooked.append(tuple(values))
    if dialect.name == "postgresql":
        with conn.connection.driver_connection.cursor() as cur, \
                cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in cooked:
                copy.write_row(row)
    else:
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "
                             f"({', '.join('?' for _ in columns)})", cooked)


# ---- local calendar days and hours in SQL (dashboard roll-ups) ----------------------------------------------

class local_date(FunctionElement[dt.date]):
    """The calendar date (or, with `month=True`, the first day of the month) of a UTC timestamp column in the
    configured time zone, as SQL: the day an appeal counts in."""

    type = Date()
    inherit_cache = True

    def __init__(self, column: Any, month: bool = False) -> None:
        self.month = month
        super().__init__(column)


@compiles(local_date, "postgresql")
def _local_date_pg(element: local_date, compiler: Any, **kw: Any) -> str:
    arg = compiler.process(element.clauses, **kw)
    zone = get_settings().timezone.replace("'", "")
    local = f"(({arg}) AT TIME ZONE '{zone}')"
    return f"CAST(date_trunc('month', {local}) AS DATE)" if element.month else f"CAST({local} AS DATE)"


@compiles(local_date, "sqlite")
def _local_date_sqlite(element: local_date, compiler: Any, **kw: Any) -> str:
    arg = compiler.process(element.clauses, **kw)
    offset = _utc_offset_hours()
    month = ", 'start of month'" if element.month else ""
    return f"date({arg}, '{offset:+g} hours'{month})"


def _utc_offset_hours() -> float:
    """The zone's offset from UTC in hours (SQLite has no zone database; Asia/Shanghai keeps +8 all year)."""
    from zoneinfo import ZoneInfo

    offset = dt.datetime.now(ZoneInfo(get_settings().timezone)).utcoffset() or dt.timedelta(0)
    return offset.total_seconds() / 3600


class hours_between(FunctionElement[float]):
    """(`end` − `start`) in hours, as SQL, for two timestamp columns."""

    type = Float()
    inherit_cache = True


@compiles(hours_between, "postgresql")
def _hours_pg(element: hours_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end}) - ({start})) / 3600.0)"


@compiles(hours_between, "sqlite")
def _hours_sqlite(element: hours_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 24.0)"


@contextmanager
def indexes_dropped(conn: Any, tables: Iterable[str], which: Callable[[Any], bool] | None = None) -> Iterator[None]:
    """A bulk load without the tables' non-unique indexes that `which` picks, built again afterwards, in the
    caller's transaction: one sort per index instead of a B-tree insert at a random leaf per row. DDL is
    transactional in SQLite and PostgreSQL, so a failed load restores the indexes with the rollback. On SQLite
    the page cache is also raised to 256 MB for the load (default 2 MB) and restored after."""
    from sqlalchemy import inspect

    tables = list(tables)
    existing = {t: {ix["name"] for ix in inspect(conn).get_indexes(t)} for t in tables}
    indexes = [ix for t in tables for ix in sorted(Base.metadata.tables[t].indexes, key=lambda i: i.name)
               if not ix.unique and ix.name in existing[t] and (which is None or which(ix))]
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        # pysqlite opens its transaction at the first INSERT/UPDATE/DELETE, so a DROP INDEX before that would
        # commit on its own: open it now, so that a failed load rolls the drops back too.
        if not conn.connection.driver_connection.in_transaction:
            conn.exec_driver_sql("BEGIN")
        cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
        conn.exec_driver_sql("PRAGMA cache_size = -262144")
    try:
        for ix in indexes:
            ix.drop(conn)
        yield
        for ix in indexes:
            ix.create(conn)
    finally:
        if sqlite:
            conn.exec_driver_sql(f"PRAGMA cache_size = {int(cache)}")
