"""Readiness: is this node able to do its work right now (store, schema, worker)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from provisioner.store.db import MIGRATIONS_DIR, Store


@dataclass
class Readiness:
    ready: bool
    checks: dict[str, dict[str, object]] = field(default_factory=dict)


def _script_heads() -> set[str]:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return set(ScriptDirectory.from_config(cfg).get_heads())


def schema_heads(store: Store) -> tuple[set[str], set[str]]:
    """(heads the database is at, heads the code expects)."""
    with store.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    return current, _script_heads()


def procrastinate_workers_alive(store: Store, within_seconds: float) -> int:
    """How many procrastinate workers beat in the last `within_seconds` (cluster mode)."""
    with store.engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM procrastinate_workers "
                    "WHERE last_heartbeat > NOW() - make_interval(secs => :s)"
                ),
                {"s": within_seconds},
            ).scalar_one()
        )


def check_readiness(
    store: Store, *, dispatch: str, worker_alive: Callable[[], bool], stale_seconds: float
) -> Readiness:
    """Store reachable, migrations at head, a worker able to run jobs."""
    checks: dict[str, dict[str, object]] = {}
    try:
        with store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["store"] = {"ok": True}
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", with its reason
        checks["store"] = {"ok": False, "detail": f"{type(exc).__name__}: {exc}"}
        return Readiness(False, checks)
    current, expected = schema_heads(store)
    checks["migrations"] = {
        "ok": current == expected,
        "current": sorted(current),
        "expected": sorted(expected),
    }
    if dispatch == "procrastinate":
        n = procrastinate_workers_alive(store, stale_seconds)
        checks["worker"] = {"ok": n > 0, "mode": dispatch, "workers": n}
    else:
        checks["worker"] = {"ok": worker_alive(), "mode": dispatch}
    return Readiness(all(bool(c["ok"]) for c in checks.values()), checks)
