"""The `gongzhi` command."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gongzhi.core.settings import ROOT, get_settings

app = typer.Typer(help="共治 gongzhi — 党建引领城市基层治理平台", no_args_is_help=True)


@app.callback()
def _load_models() -> None:
    """Every command may touch any table: register every domain's models (their foreign keys cross domains)."""
    import gongzhi.models  # noqa: F401
db_app = typer.Typer(help="数据库 / database", no_args_is_help=True)
users_app = typer.Typer(help="账号 / accounts", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
console = Console()

KINDS = ("buildings", "households", "residents", "units", "party_orgs", "party_members", "grid_staff")


def _progress() -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=False)


def alembic_config(url: str | None = None):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply the migrations (alembic upgrade)."""
    from alembic import command

    command.upgrade(alembic_config(), revision)
    console.print(f"[green]数据库已升级到 {revision}[/green]  {_safe_url()}")


@db_app.command("check")
def db_check() -> None:
    """Fail if the models and the migrations disagree (alembic check)."""
    from alembic import command

    command.check(alembic_config())
    console.print("[green]模型与迁移一致[/green]")


def _safe_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(get_settings().database_url).render_as_string(hide_password=True)


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1, reload: bool = False,
          worker: Annotated[bool, typer.Option(help="also run the background worker (deadline sweep, outbox) "
                                                    "in this process; use --no-worker with `gongzhi worker`")] = True,
          ) -> None:
    """Serve the web application."""
    import uvicorn

    get_settings().check()
    if worker:
        from gongzhi.appeals.tasks import start_in_thread
        from gongzhi.core.db import session_factory

        start_in_thread(session_factory())
    uvicorn.run("gongzhi.app:create_app", factory=True, host=host, port=port, workers=workers, reload=reload,
                proxy_headers=True)


@app.command("worker")
def worker_(interval: Annotated[float, typer.Option(help="seconds between rounds")] = 30.0,
            once: Annotated[bool, typer.Option(help="one round, then exit")] = False) -> None:
    """Run the background worker: deadline sweeps (warnings, overdue, escalation) and the outbox. Several may
    run at once; they never act on one appeal twice."""
    import logging

    from gongzhi.appeals.tasks import run_worker
    from gongzhi.core.db import session_factory

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    console.print(f"worker 启动：{_safe_url()}，每 {interval:g} 秒一轮")
    run_worker(session_factory(), interval=interval, once=once)


@app.command()
def generate(
    scale: Annotated[str, typer.Option(help="demo | anning | yantai")] = "demo",
    seed: Annotated[int, typer.Option(help="random seed; the same seed gives the same city")] = 20241,
    force: Annotated[bool, typer.Option(help="replace the city the database already holds")] = False,
    if_empty: Annotated[bool, typer.Option(help="do nothing if the database already holds a city")] = False,
    appeals: Annotated[int, typer.Option(help="also add this many appeals of history (e.g. 10000000) to the city")] = 0,
    years: Annotated[float, typer.Option(help="the years the appeal history spans, up to now")] = 3.0,
) -> None:
    """Load a generated city (Anning or Yantai-sized) into GONGZHI_DATABASE_URL (migrating it first); with
    --appeals, add years of appeal history to it (the city is generated first if there is none)."""
    from alembic import command

    from gongzhi.core.errors import AppError
    from gongzhi.regions.generate import SCALES, city_exists, generate_city

    if scale not in SCALES:
        raise typer.BadParameter(f"scale must be one of {', '.join(SCALES)}")
    command.upgrade(alembic_config(), "head")
    from gongzhi.core.calendar import seed_official
    from gongzhi.core.db import session_scope

    with session_scope() as session:  # the official holidays, also for a database that already has a city
        seed_official(session)
    if (if_empty or appeals) and city_exists() and not force:
        if not appeals:
            console.print("数据库中已有城市数据，跳过生成（--force 可替换）")
            return
        _history(appeals, years, seed, if_empty=if_empty)
        return
    with _progress() as progress:
        tasks: dict[str, int] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total or None)
            progress.update(tasks[stage], completed=done, total=total or None)

        try:
            summary = generate_city(scale=scale, seed=seed, progress=report, force=force)
        except AppError as exc:
            console.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(2) from exc
    table = Table(title=f"生成完成：{summary['city']}（scale={scale}, seed={seed}）")
    table.add_column("对象")
    table.add_column("数量", justify="right")
    for k, v in summary["counts"].items():
        table.add_row(k, f"{v:,}")
    console.print(table)
    if appeals:
        _history(appeals, years, seed)


def _history(appeals: int, years: float, seed: int, *, if_empty: bool = False) -> None:
    """`gongzhi generate --appeals N`: years of appeal history, then the dashboard roll-ups. With --if-empty,
    nothing happens when the database already holds N appeals or more (so `make demo` can run again)."""
    from sqlalchemy import func, select

    from gongzhi.appeals.history import generate_history
    from gongzhi.appeals.models import Appeal
    from gongzhi.core.db import session_factory
    from gongzhi.core.errors import AppError

    session = session_factory()()
    if if_empty and (session.scalar(select(func.count()).select_from(Appeal)) or 0) >= appeals:
        console.print("已有历史诉求数据，跳过生成")
        session.close()
        return
    try:
        with _progress() as progress:
            tasks: dict[str, int] = {}

            def report(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = progress.add_task(stage, total=total)
                progress.update(tasks[stage], completed=done, total=total)

            result = generate_history(session, appeals=appeals, years=years, seed=seed, progress=report)
    except AppError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from exc
    finally:
        session.close()
    console.print(f"历史诉求：新增 {result['appeals']:,} 件（{years:g} 年），重算 {result['months']} 个月的统计")


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option()],
    password: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help="resident volunteer grid_worker community_staff street_staff "
                                           "department_handler party_member leader admin")],
    scope: Annotated[str, typer.Option(help="code of a node of the region tree")],
    name: Annotated[str, typer.Option(help="display name")] = "",
) -> None:
    """Create an account."""
    from gongzhi.accounts.service import create_user
    from gongzhi.core.db import session_scope
    from gongzhi.core.errors import AppError

    try:
        with session_scope() as session:
            user = create_user(session, username=username, password=password, role=role, scope_code=scope,
                               display_name=name)
            console.print(f"[green]已创建 {user.username}（{role}，范围 {scope}）[/green]")
    except AppError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from exc


def _admin_principal(session):  # type: ignore[no-untyped-def]
    """The CLI acts as an admin over the whole tree (it runs on the server, by an operator)."""
    from sqlalchemy import select

    from gongzhi.core.auth import Principal
    from gongzhi.regions.models import Region

    root = session.scalars(select(Region).where(Region.parent_id.is_(None)).order_by(Region.id)).first()
    if root is None:
        console.print("[red]数据库中还没有区域，请先运行 gongzhi generate[/red]")
        raise typer.Exit(2)
    return Principal(user_id=0, username="cli", display_name="命令行", role="admin", scope_region_id=root.id,
                     scope_path=root.path, scope_code=root.code, scope_name=root.name)


def _register(kind: str):  # type: ignore[no-untyped-def]
    import gongzhi.orgs.service
    import gongzhi.people.service
    import gongzhi.regions.service  # noqa: F401 - registers describe themselves on import
    from gongzhi.core.registers import REGISTRY

    key = kind.replace("-", "_")
    if key not in REGISTRY:
        raise typer.BadParameter(f"KIND must be one of {', '.join(KINDS)}")
    return REGISTRY[key]


@app.command("import")
def import_(kind: str, file: Path, dry_run: Annotated[bool, typer.Option("--dry-run")] = False) -> None:
    """Import a register from Excel: all rows or none. KIND: buildings households residents units party_orgs
    party_members grid_staff."""
    from gongzhi.core import audit, excel
    from gongzhi.core.db import session_scope
    from gongzhi.core.errors import AppError

    if kind.replace("-", "_") in DUTY_KINDS:  # the duty catalog: `gongzhi import matter_types FILE`
        return _duties_import(kind.replace("-", "_"), file, dry_run)
    reg = _register(kind)
    if not file.exists():
        console.print(f"[red]文件不存在：{file}[/red]")
        raise typer.Exit(2)
    with _progress() as progress, audit.acting_as(audit.Actor(None, "cli")):
        tasks: dict[str, int] = {}

        def report(stage: str, done: int, total: int) -> None:
            label = {"validate": "校验", "save": "写入"}.get(stage, stage)
            if stage not in tasks:
                tasks[stage] = progress.add_task(label, total=total)
            progress.update(tasks[stage], completed=done)

        try:
            with session_scope() as session:
                result = excel.import_rows(session, _admin_principal(session), reg, file.read_bytes(),
                                           dry_run=dry_run, filename=file.name, progress=report)
        except AppError as exc:
            console.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(2) from exc
    if result.errors:
        table = Table(title=f"{len(result.errors)} 处错误，未导入任何数据")
        for col in ("行号", "列", "原因"):
            table.add_column(col)
        for e in result.errors[:200]:
            table.add_row(str(e["row"]), e["column"], e["reason"])
        console.print(table)
        raise typer.Exit(1)
    verb = "校验通过（未导入）" if dry_run else "已导入"
    console.print(f"[green]{verb} {result.total} 行[/green]")


@app.command("export")
def export_(kind: str, file: Path) -> None:
    """Export a register to Excel (personal numbers masked)."""
    from gongzhi.core import audit, excel
    from gongzhi.core.db import session_scope

    if kind.replace("-", "_") in DUTY_KINDS:  # the duty catalog: `gongzhi export matter_types FILE`
        return _duties_export(kind.replace("-", "_"), file)
    reg = _register(kind)
    with _progress() as progress, audit.acting_as(audit.Actor(None, "cli")):
        task = progress.add_task("导出", total=None)
        with session_scope() as session:
            data = excel.export(session, _admin_principal(session), reg,
                                progress=lambda _s, done, _t: progress.update(task, completed=done))
    file.write_bytes(data)
    console.print(f"[green]已导出到 {file}[/green]")


DEMO_PASSWORD = "gongzhi2024"


@app.command("demo-accounts")
def demo_accounts() -> None:
    """Create the demo accounts (one per role, if missing) and print them."""
    from gongzhi.accounts.demo import ensure_demo_accounts
    from gongzhi.core.db import session_scope

    with session_scope() as session:
        rows = ensure_demo_accounts(session, DEMO_PASSWORD)
    table = Table(title="演示账号（密码均为 " + DEMO_PASSWORD + "）")
    for col in ("用户名", "角色", "范围"):
        table.add_column(col)
    for r in rows:
        table.add_row(*r)
    console.print(table)


calendar_app = typer.Typer(help="工作日历（诉求时限按工作日计算） / working-day calendar", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")


@calendar_app.command("seed")
def calendar_seed(
    first: Annotated[int, typer.Option("--from", help="first year")] = 2004,
    last: Annotated[int, typer.Option("--to", help="last year")] = 2026,
) -> None:
    """Load the official holidays and make-up working days (chinese-calendar package); safe to run again."""
    from gongzhi.core import audit
    from gongzhi.core.calendar import seed_official
    from gongzhi.core.db import session_scope

    with audit.acting_as(audit.Actor(None, "cli")), session_scope() as session:
        changed = seed_official(session, range(first, last + 1))
    console.print(f"[green]法定节假日安排 {first}–{last} 年：{changed} 处变更[/green]")


@calendar_app.command("import")
def calendar_import(
    file: Path,
    year: Annotated[int, typer.Option(help="the year the file describes")],
    dry_run: Annotated[bool, typer.Option("--dry-run")] = False,
) -> None:
    """Replace a year's schedule with an .xlsx/.csv file (日期, 是否上班, 名称): all rows or none."""
    from gongzhi.core import audit
    from gongzhi.core.calendar import import_schedule, read_schedule
    from gongzhi.core.db import session_scope
    from gongzhi.core.errors import AppError

    if not file.exists():
        console.print(f"[red]文件不存在：{file}[/red]")
        raise typer.Exit(2)
    try:
        with audit.acting_as(audit.Actor(None, "cli")), session_scope() as session:
            report = import_schedule(session, year, read_schedule(file.read_bytes()), dry_run=dry_run,
                                     filename=file.name)
    except AppError as exc:
        console.print(f"[red]{exc.message}[/red]")
        if isinstance(exc.details, list):
            table = Table()
            for col in ("行号", "列", "原因"):
                table.add_column(col)
            for e in exc.details[:200]:
                table.add_row(str(e["row"]), e["column"], e["reason"])
            console.print(table)
        raise typer.Exit(1) from exc
    verb = "校验通过（未导入）" if dry_run else f"已导入 {report.imported} 天"
    console.print(f"[green]{year} 年：{report.total} 行，{verb}[/green]")


@calendar_app.command("show")
def calendar_show(year: Annotated[int, typer.Option(help="year")]) -> None:
    """Print a year's holidays and make-up working days, and whether its schedule is known."""
    from gongzhi.core.calendar import year_view
    from gongzhi.core.db import session_scope
    from gongzhi.core.errors import AppError

    try:
        with session_scope() as session:
            view = year_view(session, year)
    except AppError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from exc
    if view.warning:
        console.print(f"[yellow]{view.warning}[/yellow]")
    table = Table(title=f"{year} 年：工作日 {view.calendar.workdays_in_year(year)} 天，工作时间 "
                        f"{view.calendar.work_hours}（{view.calendar.timezone}）")
    for col in ("日期", "星期", "安排", "名称", "来源"):
        table.add_column(col)
    for d in view.days:
        table.add_row(d.date.isoformat(), "一二三四五六日"[d.date.weekday()], "上班" if d.is_workday else "休息",
                      d.name or "", d.source)
    console.print(table)


# ---- Open311 keys (docs/open311.md) ----------------------------------------------------------------------

open311_app = typer.Typer(help="Open311 GeoReport v2 接口 / the Open311 endpoint", no_args_is_help=True)
open311_keys_app = typer.Typer(help="Open311 API 密钥 / API keys", no_args_is_help=True)
open311_app.add_typer(open311_keys_app, name="keys")
app.add_typer(open311_app, name="open311")


@open311_keys_app.command("create")
def open311_keys_create(name: Annotated[str, typer.Option(help="the client application's name")]) -> None:
    """Issue a key. It is printed once and never stored: copy it now."""
    from gongzhi.core import audit
    from gongzhi.core.db import session_scope
    from gongzhi.core.errors import AppError
    from gongzhi.open311 import service as open311

    try:
        with audit.acting_as(audit.Actor(None, "cli")), session_scope() as session:
            key, raw = open311.create_key(session, name)
            key_id = key.id
    except AppError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from exc
    console.print(f"[green]已创建 Open311 密钥 #{key_id}（{name}）。请立即复制，它不会再次显示：[/green]")
    typer.echo(raw)


@open311_keys_app.command("list")
def open311_keys_list() -> None:
    """Every key: id, name, prefix, created, last used, revoked."""
    from gongzhi.core.db import session_scope
    from gongzhi.open311 import service as open311

    table = Table(title="Open311 API 密钥")
    for col in ("ID", "名称", "前缀", "创建", "最近使用", "状态"):
        table.add_column(col)
    with session_scope() as session:
        for k in open311.list_keys(session):
            table.add_row(str(k.id), k.name, k.prefix + "…", open311.w3(k.created_at) or "",
                          open311.w3(k.last_used_at) or "—",
                          f"已停用 {open311.w3(k.revoked_at)}" if k.revoked_at else "有效")
    console.print(table)


@open311_keys_app.command("revoke")
def open311_keys_revoke(key_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Stop a key at once (its requests already filed stay)."""
    from gongzhi.core import audit
    from gongzhi.core.db import session_scope
    from gongzhi.core.errors import AppError
    from gongzhi.open311 import service as open311

    try:
        with audit.acting_as(audit.Actor(None, "cli")), session_scope() as session:
            key = open311.revoke_key(session, key_id)
            console.print(f"[green]已停用 Open311 密钥 #{key.id}（{key.name}）[/green]")
    except AppError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from exc


# ---- the duty catalog (职责清单) and admission lists (准入清单) ------------------------------------------------

DUTY_KINDS = ("matter_types", "departments")
duties_app = typer.Typer(help="职责清单与社区事务准入清单 / duty catalog and admission lists", no_args_is_help=True)
app.add_typer(duties_app, name="duties")


def _print_import_errors(errors: list[dict[str, object]]) -> None:
    table = Table(title=f"{len(errors)} 处错误，未导入任何数据")
    for col in ("行号", "列", "原因"):
        table.add_column(col)
    for e in errors[:200]:
        table.add_row(str(e["row"]), str(e["column"]), str(e["reason"]))
    console.print(table)


def _duties_run(work, file: Path | None = None):  # type: ignore[no-untyped-def]
    """Run `work(session, principal)` as the CLI admin in one transaction; Chinese errors, exit code 2."""
    from gongzhi.core import audit
    from gongzhi.core.db import session_scope
    from gongzhi.core.errors import AppError

    if file is not None and not file.exists():
        console.print(f"[red]文件不存在：{file}[/red]")
        raise typer.Exit(2)
    try:
        with audit.acting_as(audit.Actor(None, "cli")), session_scope() as session:
            return work(session, _admin_principal(session))
    except AppError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from exc


def _duties_import(kind: str, file: Path, dry_run: bool, community: str | None = None) -> None:
    from gongzhi.duties import excel as duties_excel
    from gongzhi.duties import service as duties_service

    def work(session, principal):  # type: ignore[no-untyped-def]
        data = file.read_bytes()
        if community:
            region = duties_service.get_community(session, principal, community, to="write")
            return duties_excel.import_admission(session, principal, region, data, dry_run=dry_run,
                                                 filename=file.name)
        run = duties_excel.import_matter_types if kind == "matter_types" else duties_excel.import_departments
        return run(session, principal, data, dry_run=dry_run, filename=file.name)

    result = _duties_run(work, file)
    if result.errors:
        _print_import_errors(result.errors)
        raise typer.Exit(1)
    verb = "校验通过（未导入）" if dry_run else "已导入（按编码新增或更新）"
    console.print(f"[green]{verb} {result.total} 行[/green]")


def _duties_export(kind: str, file: Path, community: str | None = None) -> None:
    from gongzhi.duties import excel as duties_excel
    from gongzhi.duties import service as duties_service

    def work(session, principal):  # type: ignore[no-untyped-def]
        if community:
            region = duties_service.get_community(session, principal, community)
            return duties_excel.export_admission(session, principal, region)
        run = duties_excel.export_matter_types if kind == "matter_types" else duties_excel.export_departments
        return run(session, principal)

    file.write_bytes(_duties_run(work))
    console.print(f"[green]已导出到 {file}[/green]")


@duties_app.command("load-demo")
def duties_load_demo() -> None:
    """Load the demo catalog (departments, categories, matter types) and every community's admission list
    into a database that has a city but no catalog yet; rows whose code exists are kept."""
    from gongzhi.duties.catalog import load_demo

    counts = _duties_run(lambda session, _principal: load_demo(session))
    console.print(f"[green]新增：职能部门 {counts.get('departments', 0)}，分类 {counts.get('categories', 0)}，"
                  f"事项 {counts.get('matter_types', 0)}，准入清单事项 {counts.get('admission_items', 0)}[/green]")


@duties_app.command("import-admission")
def duties_import_admission(community: str, file: Path,
                            dry_run: Annotated[bool, typer.Option("--dry-run")] = False) -> None:
    """Import one community's admission list (COMMUNITY: its code) from Excel: all rows or none."""
    _duties_import("admission_items", file, dry_run, community)


@duties_app.command("export-admission")
def duties_export_admission(community: str, file: Path) -> None:
    """Export one community's admission list (COMMUNITY: its code) to Excel."""
    _duties_export("admission_items", file, community)


@app.command("demo-appeals")
def demo_appeals(count: Annotated[int, typer.Option(help="how many appeals")] = 300,
                 seed: Annotated[int, typer.Option(help="random seed")] = 20241) -> None:
    """File demo appeals (real public message-board texts) and move them along the loop, once."""
    from gongzhi.appeals.demo import load_demo_appeals
    from gongzhi.core import audit
    from gongzhi.core.db import session_scope

    with _progress() as progress, audit.acting_as(audit.Actor(None, "cli")), session_scope() as session:
        task = progress.add_task("诉求", total=count)
        done = load_demo_appeals(session, count=count, seed=seed,
                                 progress=lambda _s, d, t: progress.update(task, completed=d, total=t))
    console.print(f"演示诉求：新增 {done} 件" if done else "已有诉求数据（或缺少演示数据文件），跳过")


# Domains that keep their commands in their own package (`gongzhi points demo`, `gongzhi cobuild demo`, …).
for _name, _module, _attr in (("points", "gongzhi.points.demo", "points_app"),
                              ("cobuild", "gongzhi.cobuild.demo", "cobuild_app"),
                              ("volunteers", "gongzhi.volunteers.cli", "app"),
                              ("dashboard", "gongzhi.dashboard.cli", "dashboard_app"),
                              ("report", "gongzhi.dashboard.cli", "report_app"),
                              ("assessment", "gongzhi.assessment.demo", "assessment_app")):
    app.add_typer(getattr(importlib.import_module(_module), _attr), name=_name)


def main() -> None:  # pragma: no cover
    app(prog_name="gongzhi")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
