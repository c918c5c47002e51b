"""Every notification test starts with fresh development gateways, so what a test sees sent is its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gongzhi.notify.gateways import LoggingGateway, set_gateway


@pytest.fixture(autouse=True)
def gateways() -> Iterator[dict[str, LoggingGateway]]:
    """{"sms": …, "wechat": …}: logging gateways whose `sent` lists what each channel sent."""
    made = {channel: LoggingGateway(channel) for channel in ("sms", "wechat")}
    for channel, gateway in made.items():
        set_gateway(channel, gateway)
    yield made
    for channel in made:
        set_gateway(channel, None)
