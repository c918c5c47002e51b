"""`gongzhi volunteers …`: the demo loader."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(help="在职党员双报到与志愿者", no_args_is_help=True)
console = Console()


@app.command("demo")
def demo(seed: Annotated[int, typer.Option(help="random seed")] = 20241) -> None:
    """Load the demo 双报到 and volunteers into the demo community, once; print the extra account."""
    from gongzhi.core import audit
    from gongzhi.core.db import session_scope
    from gongzhi.volunteers.demo import load_demo_volunteers

    with audit.acting_as(audit.Actor(None, "cli")), session_scope() as session:
        done = load_demo_volunteers(session, seed=seed)
    if not done:
        console.print("已有双报到演示数据（或缺少演示账号），跳过")
        return
    console.print(f"双报到：{done['community']} {done['members']} 名在职党员报到（{done['confirmed']} 名已确认），"
                  f"{done['posts']} 个岗位，{done['pairs']} 对结对，{done['volunteers']} 名志愿者，"
                  f"{done['year']} 年度评议已完成")
    console.print(f"单位经办人账号：employer / gongzhi2024（{done['employer_unit']}，可下载双报告）")
