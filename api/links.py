"""OpenAPI links (Link Objects): where an answer leads. A request that was created or listed
leads to its plan, its decisions and its letters, a job to its journal, retry and cancel —
so a client, and the stateful fuzzing (tests/integration/test_api_fuzz.py), walks from an
answer to the operations on the resources it names instead of guessing ids."""

from __future__ import annotations

from typing import Any

REQUEST = "/api/v1/requests/{request_id}"
JOB = "/api/v1/jobs/{job_id}"
LETTER = "/api/v1/letters/{letter_id}"


def _ref(path: str, method: str) -> str:
    """A JSON pointer to the operation in this schema (RFC 6901: '~' → '~0', '/' → '~1')."""
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def link(path: str, method: str, **parameters: str) -> dict[str, Any]:
    return {"operationRef": _ref(path, method), "parameters": parameters}


def request_links(request_id: str) -> dict[str, dict[str, Any]]:
    """What one request leads to; `request_id` is the runtime expression of its id."""
    p = {"request_id": request_id}
    return {
        "GetRequest": link(REQUEST, "get", **p),
        "GetPlan": link(f"{REQUEST}/plan", "get", **p),
        "Verify": link(f"{REQUEST}/verify", "post", **p),
        "Approve": link(f"{REQUEST}/approve", "post", **p),
        "Reject": link(f"{REQUEST}/reject", "post", **p),
        "Return": link(f"{REQUEST}/return", "post", **p),
        "Resubmit": link(f"{REQUEST}/resubmit", "post", **p),
        "Sla": link(f"{REQUEST}/sla", "get", **p),
        "Letter": link(f"{REQUEST}/letter", "get", **p),
        "Letters": link(f"{REQUEST}/letters", "get", **p),
        "ApproveLetter": link(f"{REQUEST}/letter/approve", "post", **p),
        "ProposeRetirement": link(f"{REQUEST}/retire", "post", **p),
        "GetRetirement": link(f"{REQUEST}/retire", "get", **p),
    }


def listed_requests(items: str, count: int) -> dict[str, dict[str, Any]]:
    """Each of the first `count` requests of a list (`items` points at the list)."""
    return {
        f"GetListedRequest{i}": link(REQUEST, "get", request_id=f"{items}/{i}/id")
        for i in range(1, count)
    }


def job_links(job_id: str, step_name: str | None = None) -> dict[str, dict[str, Any]]:
    """What one job leads to (and its first step's log, given that step's name)."""
    p = {"job_id": job_id}
    links = {
        "GetJob": link(JOB, "get", **p),
        "Retry": link(f"{JOB}/retry", "post", **p),
        "Cancel": link(f"{JOB}/cancel", "post", **p),
    }
    if step_name is not None:
        links["StepLog"] = link(f"{JOB}/steps/{{name}}/log", "get", **p, name=step_name)
    return links


def letter_links(letter_id: str) -> dict[str, dict[str, Any]]:
    p = {"letter_id": letter_id}
    return {
        "GetLetter": link(LETTER, "get", **p),
        "Pdf": link(f"{LETTER}.pdf", "get", **p),
        "Correct": link(f"{LETTER}/correct", "post", **p),
        "RecordPdf": link(f"{LETTER}/record.pdf", "get", **p),
    }


def retirement_links(request_id: str) -> dict[str, dict[str, Any]]:
    p = {"request_id": request_id}
    return {
        "GetRetirement": link(f"{REQUEST}/retire", "get", **p),
        "ApproveRetirement": link(f"{REQUEST}/retire/approve", "post", **p),
        "RejectRetirement": link(f"{REQUEST}/retire/reject", "post", **p),
    }


def leads_to(status: int, description: str, *groups: dict[str, dict[str, Any]]) -> dict[
    int | str, dict[str, Any]
]:
    """`responses=` for a route: its answer `status` with these links."""
    merged: dict[str, dict[str, Any]] = {}
    for group in groups:
        merged.update(group)
    return {status: {"description": description, "links": merged}}
