"""What a page says after an action (a flash message), carried by the address it was
redirected to: `?done=<what>` (one of a fixed list, so the address cannot make a page say
anything else), `&job=<id>` for the job it queued, `&name=` for what it acted on."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import Request

# done=<key> → catalogue key of the message; each may name a job and a subject.
DONE = frozenset(
    {
        "approved", "carried_out", "rejected", "returned", "submitted", "resubmitted",
        "deploy", "promote", "release", "rollback", "retry", "undo", "repaired", "adopted",
        "letter_approved", "sop_letter_approved", "letter_corrected", "record_uploaded",
        "retire_proposed", "retire_approved", "retire_rejected",
        "site_registered", "site_migrated", "site_migrated_back", "site_unregistered",
        "user_disabled", "user_enabled", "password_set", "role_set", "day_set", "sla_set",
    }
)  # fmt: skip
# Older addresses that pages and tests still use: ?submitted=1, ?returned=1 …
LEGACY = ("submitted", "returned", "resubmitted")


@dataclass(frozen=True)
class Flash:
    key: str  # catalogue key: "flash.approved"
    job: int | None = None
    name: str | None = None


def flash_of(request: Request) -> Flash | None:
    """The message this address asks the page to show, if any."""
    params = request.query_params
    done = params.get("done")
    if done is None:
        done = next((key for key in LEGACY if params.get(key) == "1"), None)
    if done is None and params.get("repaired"):
        done = "repaired"
    if done not in DONE:
        return None
    job = params.get("job", "")
    name = params.get("name") or params.get("repaired")
    return Flash(f"flash.{done}", int(job) if job.isdigit() and len(job) < 12 else None,
                 name[:253] if name else None)


def done_url(path: str, done: str, *, job: int | None = None, name: str | None = None) -> str:
    """`path` with the flash message `done` (and its job and subject)."""
    query: dict[str, str] = {"done": done}
    if job is not None:
        query["job"] = str(job)
    if name:
        query["name"] = name
    anchor = ""
    if "#" in path:
        path, anchor = path.split("#", 1)
        anchor = "#" + anchor
    joiner = "&" if "?" in path else "?"  # a path that carries its own query keeps it
    return f"{path}{joiner}{urlencode(query)}{anchor}"
