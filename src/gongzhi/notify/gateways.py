"""Gateways: what actually sends an SMS or a WeChat message. Pluggable by settings (`GONGZHI_SMS_GATEWAY`,
`GONGZHI_WECHAT_GATEWAY`): "logging" for development, or the dotted path of a class of your own
(docs/notifications.md shows one)."""

from __future__ import annotations

import importlib
import logging
import threading
from typing import Protocol, runtime_checkable

from gongzhi.core import crypto
from gongzhi.core.settings import get_settings

log = logging.getLogger("gongzhi.notify")


@runtime_checkable
class Gateway(Protocol):
    """Sends one message to one recipient (a phone number, or a WeChat openid), or raises. Raising is the only
    way to say "not sent": the outbox then tries again later. It should time out well within a minute."""

    def send(self, recipient: str, body: str) -> None: ...


def mask(channel: str, recipient: str) -> str:
    """What logs and lists may show of a recipient: 139****5678, or the ends of an openid."""
    if channel == "sms":
        return crypto.mask_phone(recipient)
    return recipient[:4] + "***" + recipient[-4:] if len(recipient) > 10 else "*" * len(recipient)


class LoggingGateway:
    """Development: sends nothing; logs the masked recipient and the text, and keeps the last messages in memory
    (`sent`, as (recipient, body)) for tests and the curious."""

    KEEP = 1000

    def __init__(self, channel: str = "sms") -> None:
        self.channel = channel
        self.sent: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def send(self, recipient: str, body: str) -> None:
        log.info("%s to %s: %s", self.channel, mask(self.channel, recipient), body)
        with self._lock:
            self.sent.append((recipient, body))
            del self.sent[:-self.KEEP]


def load(spec: str, channel: str) -> Gateway:
    """A gateway from its setting: "logging", or "package.module:Name" (or "package.module.Name") naming a class
    (made with no arguments), a function returning a gateway, or a gateway object."""
    if spec == "logging":
        return LoggingGateway(channel)
    module, _, name = spec.partition(":") if ":" in spec else spec.rpartition(".")
    if not module or not name:
        raise ValueError(f"{channel}_gateway: expected 'logging' or 'package.module:Name', got {spec!r}")
    target = getattr(importlib.import_module(module), name)
    gateway = target if isinstance(target, Gateway) and not isinstance(target, type) else target()
    if not isinstance(gateway, Gateway):
        raise TypeError(f"{channel}_gateway {spec!r} has no send(recipient, body) method")
    return gateway


_active: dict[str, Gateway] = {}
_lock = threading.Lock()


def gateway_for(channel: str) -> Gateway:
    """The gateway of a channel, made from the settings on first use and kept for the life of the process."""
    with _lock:
        if channel not in _active:
            _active[channel] = load(getattr(get_settings(), f"{channel}_gateway"), channel)
        return _active[channel]


def set_gateway(channel: str, gateway: Gateway | None) -> None:
    """Use this gateway for a channel from now on (tests, or a plug-in set up in code); None goes back to the
    settings on next use."""
    with _lock:
        if gateway is None:
            _active.pop(channel, None)
        else:
            _active[channel] = gateway
