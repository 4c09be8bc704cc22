"""The status answer every OPD polls is checked once per key at a time: callers that arrive
while the one check runs wait for it (or get the previous answer), instead of all asking
the name servers and the web server at once."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from provisioner.workflow.monitoring.status import SiteStatus, StatusService


class _CountingStatus(StatusService):
    """The real cache and single flight around a slow, counted check (no servers)."""

    def __init__(self) -> None:
        super().__init__(store=None, dns=None, web=None,  # type: ignore[arg-type]
                         zone="demokab.go.id",
                         allowed_networks=["127.0.0.0/8"], result_cache_seconds=0.3)
        self.checks = 0
        self.gate = threading.Event()

    def _request_info(self, fqdn: str) -> dict[str, Any] | None:
        # A live site in the registry (only those are checked over DNS and HTTP).
        return {"ticket": "SUB-1", "state": "live", "agency": "Dinas Uji", "live_at": None,
                "_updated": None}

    def _check(self, fqdn: str, info: dict[str, Any] | None) -> SiteStatus:
        self.checks += 1
        self.gate.wait(5)
        return SiteStatus(fqdn=fqdn, live=True, nameservers={}, http={}, request=None)


def _ask_together(service: StatusService, n: int) -> list[SiteStatus]:
    answers: list[SiteStatus] = []
    threads = [threading.Thread(target=lambda: answers.append(service.status("a.demokab.go.id")))
               for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return answers


def test_concurrent_callers_share_one_check_and_get_its_answer() -> None:
    service = _CountingStatus()
    threading.Timer(0.2, service.gate.set).start()  # the check takes a while
    answers = _ask_together(service, 20)
    assert service.checks == 1
    assert len(answers) == 20 and len({id(a) for a in answers}) == 1


def test_an_expired_answer_is_served_while_one_caller_refreshes_it() -> None:
    service = _CountingStatus()
    service.gate.set()
    first = service.status("a.demokab.go.id")
    time.sleep(0.35)  # expired
    service.gate.clear()
    threading.Timer(0.3, service.gate.set).start()
    answers = _ask_together(service, 10)
    assert service.checks == 2  # one refresh, not ten
    assert any(a is first for a in answers)  # the others got the previous answer meanwhile
    assert any(a is not first for a in answers)  # the refreshing caller got the new one


def test_fresh_always_checks_again() -> None:
    service = _CountingStatus()
    service.gate.set()
    service.status("a.demokab.go.id")
    service.status("a.demokab.go.id", fresh=True)
    assert service.checks == 2


@pytest.mark.parametrize("bad", ["example.com", "a.demokab.go.id.evil.com"])
def test_names_outside_the_zone_are_refused_before_any_check(bad: str) -> None:
    from provisioner.domain.errors import InvalidInput

    service = _CountingStatus()
    with pytest.raises(InvalidInput):
        service.status(bad)
    assert service.checks == 0
