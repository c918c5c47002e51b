"""The `gongzhi` command."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gongzhi.core.settings import ROOT, get_settings

app = typer.Typer(help="共治 gongzhi — 党建引领城市基层治理平台", no_args_is_help=True)
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
def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1, reload: bool = False) -> None:
    """Serve the web application."""
    import uvicorn

    get_settings().check()
    uvicorn.run("gongzhi.app:create_app", factory=True, host=host, port=port, workers=workers, reload=reload,
                proxy_headers=True)


@app.command()
def generate(
    scale: Annotated[str, typer.Option(help="demo | anning | yantai")] = "demo",
    seed: Annotated[int, typer.Option(help="random seed; the same seed gives the same city")] = 20241,
    force: Annotated[bool, typer.Option(help="replace the city the database already holds")] = False,
    if_empty: Annotated[bool, typer.Option(help="do nothing if the database already holds a city")] = False,
) -> None:
    """Load a generated city (Anning or Yantai-sized) into GONGZHI_DATABASE_URL (migrating it first)."""
    from alembic import command

    from gongzhi.core.errors import AppError
    from gongzhi.regions.generate import SCALES, city_exists, generate_city

    if scale not in SCALES:
        raise typer.BadParameter(f"scale must be one of {', '.join(SCALES)}")
    command.upgrade(alembic_config(), "head")
    if if_empty and city_exists():
        console.print("数据库中已有城市数据，跳过生成（--force 可替换）")
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


def main() -> None:  # pragma: no cover
    app(prog_name="gongzhi")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
