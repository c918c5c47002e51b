"""`gongzhi dashboard refresh` (bring the roll-ups up to date now) and `gongzhi report monthly` (the monthly
bulletin of a region as Word and Excel files)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

dashboard_app = typer.Typer(help="领导驾驶舱 / dashboards", no_args_is_help=True)
report_app = typer.Typer(help="通报 / reports", no_args_is_help=True)
console = Console()


@dashboard_app.command("refresh")
def refresh(all_months: Annotated[bool, typer.Option("--all", help="recompute every month, not only changed ones")]
            = False) -> None:
    """Recompute the dashboards' roll-ups for the months whose appeals changed (the worker does this too)."""
    from gongzhi.core.db import session_scope
    from gongzhi.dashboard import rollup

    with session_scope() as session:
        done = rollup.recompute(session, rollup.all_months(session)) if all_months else rollup.refresh(session)
    console.print(f"驾驶舱统计：重算 {done} 个月")


@report_app.command("monthly")
def monthly(scope: Annotated[str, typer.Option(help="code of the region (a node of the region tree)")],
            month: Annotated[str | None, typer.Option(help="YYYY-MM; default the last complete month")] = None,
            out: Annotated[Path, typer.Option(help="folder to write the .docx and .xlsx into")] = Path(".")) -> None:
    """The monthly bulletin (月度工作进展通报) of a region: a Word document and an Excel workbook of its figures."""
    from gongzhi.cli import _admin_principal
    from gongzhi.core import audit
    from gongzhi.core.db import session_scope
    from gongzhi.core.errors import AppError
    from gongzhi.dashboard import report

    out.mkdir(parents=True, exist_ok=True)
    try:
        with audit.acting_as(audit.Actor(None, "cli")), session_scope() as session:
            principal = _admin_principal(session)
            for make in (report.monthly_docx, report.monthly_xlsx):
                data, name = make(session, principal, scope, month)
                path = out / name
                path.write_bytes(data)
                console.print(f"[green]已生成[/green] {path}")
    except AppError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from exc
