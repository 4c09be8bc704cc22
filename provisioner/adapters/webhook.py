"""Webhook notifications: a JSON POST (httpx). Errors become ServerUnreachable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from provisioner.domain.errors import ServerUnreachable


@dataclass(frozen=True)
class WebhookSender:
    url: str
    timeout: float = 5.0

    def post(self, payload: dict[str, Any]) -> None:
        """POST `payload`; anything but a 2xx answer is a failure."""
        try:
            resp = httpx.post(self.url, json=payload, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise ServerUnreachable("webhook", self.url, f"{type(exc).__name__}: {exc}") from exc
        if not resp.is_success:
            raise ServerUnreachable("webhook", self.url, f"HTTP {resp.status_code}")
