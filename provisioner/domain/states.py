"""Request states and the only transitions allowed between them (pure logic).

Names are Bahasa Indonesia first, as the SOPs and the agencies' portals call them.
"""

from __future__ import annotations

from enum import StrEnum

from provisioner.domain.errors import Conflict


class RequestState(StrEnum):
    SUBMITTED = "submitted"
    VERIFIED = "verified"
    APPROVED = "approved"
    REJECTED = "rejected"
    RETURNED = "returned"  # waiting on the OPD to revise; the SLA clock stops
    COMPLETED = "completed"  # a change request (contact, target, deactivation) carried out
    PROVISIONING = "provisioning"
    TESTING_DEV = "testing_dev"
    # Passed on the development server; production waits for the SOP's acceptance (UAT,
    # feasibility tests, the recommendation) and a release by the technical team.
    DEV_READY = "dev_ready"
    PRODUCTION = "production"
    LIVE = "live"
    LETTER_ISSUED = "letter_issued"
    FAILED = "failed"
    RETIRED = "retired"
    # A failed (or cancelled) provisioning whose changes were all taken back; the name is free.
    UNDONE = "undone"

    @property
    def label_id(self) -> str:
        return _LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _LABELS[self][1]


_LABELS: dict[RequestState, tuple[str, str]] = {
    RequestState.SUBMITTED: ("Diajukan", "Submitted"),
    RequestState.VERIFIED: ("Diverifikasi", "Verified"),
    RequestState.APPROVED: ("Disetujui", "Approved"),
    RequestState.REJECTED: ("Ditolak", "Rejected"),
    RequestState.RETURNED: ("Dikembalikan untuk perbaikan", "Returned for revision"),
    RequestState.COMPLETED: ("Selesai", "Completed"),
    RequestState.PROVISIONING: ("Diproses", "Provisioning"),
    RequestState.TESTING_DEV: ("Uji dev", "Testing on dev"),
    RequestState.DEV_READY: (
        "Lulus uji dev, menunggu produksi", "Passed on dev, waiting for production"
    ),
    RequestState.PRODUCTION: ("Produksi", "In production"),
    RequestState.LIVE: ("Aktif", "Live"),
    RequestState.LETTER_ISSUED: ("Surat terbit", "Letter issued"),
    RequestState.FAILED: ("Gagal", "Failed"),
    RequestState.RETIRED: ("Dinonaktifkan", "Retired"),
    RequestState.UNDONE: ("Dibatalkan, perubahan dihapus", "Undone, changes removed"),
}

S = RequestState
TRANSITIONS: dict[RequestState, frozenset[RequestState]] = {
    S.SUBMITTED: frozenset({S.VERIFIED, S.APPROVED, S.REJECTED, S.RETURNED}),
    S.VERIFIED: frozenset({S.APPROVED, S.REJECTED, S.RETURNED}),
    # The OPD revises and submits again, or gives up (rejected keeps the record).
    S.RETURNED: frozenset({S.SUBMITTED, S.REJECTED}),
    # A change request that needs no provisioning job is completed when approved.
    S.APPROVED: frozenset({S.PROVISIONING, S.COMPLETED}),
    # A cancelled job leaves its request where the job stopped; undoing it ends it there.
    S.PROVISIONING: frozenset({S.TESTING_DEV, S.LIVE, S.FAILED, S.COMPLETED, S.UNDONE}),
    S.TESTING_DEV: frozenset({S.PRODUCTION, S.DEV_READY, S.FAILED, S.UNDONE}),
    # A release to production (its own job), or the site given up.
    S.DEV_READY: frozenset({S.PRODUCTION, S.FAILED, S.UNDONE, S.RETIRED}),
    S.PRODUCTION: frozenset({S.LIVE, S.FAILED, S.UNDONE}),
    S.LIVE: frozenset({S.LETTER_ISSUED, S.FAILED, S.RETIRED}),
    S.LETTER_ISSUED: frozenset({S.RETIRED}),
    # A failed job is retried from its failed step (back to provisioning), retired, or
    # undone (what it changed taken back, the name released).
    S.FAILED: frozenset(
        {S.PROVISIONING, S.TESTING_DEV, S.DEV_READY, S.PRODUCTION, S.LIVE, S.RETIRED, S.UNDONE}
    ),
    S.REJECTED: frozenset(),
    S.RETIRED: frozenset(),
    S.COMPLETED: frozenset(),
    S.UNDONE: frozenset(),
}

# States in which the SLA clock does not run because the request waits on the OPD.
WAITS_ON_OPD = frozenset({S.RETURNED})

# States in which the request still holds its name in the registry.
HOLDS_NAME = frozenset(set(RequestState) - {S.REJECTED, S.RETIRED, S.COMPLETED, S.UNDONE})


# The stages a provisioning job moves a request through, in order. Steps of one job run side
# by side (the certificate beside the dev checks): the request shows the furthest reached.
PROGRESS: tuple[RequestState, ...] = (
    S.PROVISIONING, S.TESTING_DEV, S.DEV_READY, S.PRODUCTION, S.LIVE, S.LETTER_ISSUED,
)  # fmt: skip


def furthest(current: RequestState, target: RequestState) -> RequestState:
    """The state a request takes when a step of stage `target` starts while it is `current`:
    never back to an earlier stage; from any other state (approved, failed) `target`."""
    if current in PROGRESS and target in PROGRESS:
        return max(current, target, key=PROGRESS.index)
    return target


def can_transition(current: RequestState, target: RequestState) -> bool:
    return current == target or target in TRANSITIONS[current]


def ensure_transition(current: RequestState, target: RequestState) -> None:
    """Raise Conflict unless `current -> target` is a legal move (staying put is allowed)."""
    if not can_transition(current, target):
        raise Conflict(
            f"Permohonan berstatus {current.label_id} tidak dapat menjadi {target.label_id} / "
            f"A request that is {current.label_en.lower()} cannot become {target.label_en.lower()}"
        )
