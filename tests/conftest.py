"""Shared fixtures. Tests marked `lab` get the real servers: the lab is brought up if it
is not running, and a lab that fails to start FAILS those tests — it never skips them."""

from __future__ import annotations

import pytest

from provisioner.config import PROJECT_ROOT, Settings


@pytest.fixture(scope="session")
def lab_settings() -> Settings:
    return Settings(data_dir=PROJECT_ROOT / "var")


@pytest.fixture(scope="session")
def lab(lab_settings: Settings) -> Settings:
    from provisioner.lab import lab_status, lab_up

    reports = lab_status(lab_settings)
    if any(r.state != "running" for r in reports):
        reports = lab_up(lab_settings)
    broken = [f"{r.name}: {r.state} ({r.detail})" for r in reports
              if r.state not in ("running", "started")]
    if broken:
        pytest.fail("the lab did not start: " + "; ".join(broken), pytrace=False)
    return lab_settings


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("lab") and "lab" not in item.fixturenames:
            item.fixturenames.insert(0, "lab")  # type: ignore[attr-defined]
