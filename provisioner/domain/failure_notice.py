"""What an agency is told when a job fails (pure): the step in plain words and who follows
it up — never the server's paths, SQL or a tool's raw output, which stay for Diskominfo's
staff (BSSN 4/2021: error handling without leaks). The failed job waits on the technical
team's job pages and metrics; no message is sent for it (notify.STATE_EVENTS), so the words
promise a follow-up, not a notification."""

from __future__ import annotations

from provisioner.domain.jobs import step_spec

# A job that failed before any step recorded its own failure (or a step this build does not
# know): still plain words, never the recorded text.
_GENERIC = (
    "Pemasangan gagal; tim teknis Diskominfo akan menindaklanjuti / "
    "Installation failed; Diskominfo's technical team will follow it up"
)
WAITING = "Menunggu pekerjaan lain selesai / Waiting for another job to finish"
CANCELLED = "Pekerjaan dibatalkan / The job was cancelled"


def step_title(name: str) -> tuple[str, str]:
    """A step's name as people read it, (Indonesian, English); the name itself if unknown."""
    try:
        spec = step_spec(name)
    except KeyError:
        return name, name
    return spec.title_id, spec.title_en


def step_label(name: str) -> str:
    """A step's name in the project's bilingual form: "Basis data / Database"."""
    title_id, title_en = step_title(name)
    return title_id if title_id == title_en else f"{title_id} / {title_en}"


def public_failure(step: str | None) -> str:
    """The reason an agency reads for a failure at `step`."""
    if not step:
        return _GENERIC
    try:
        step_spec(step)
    except KeyError:
        return _GENERIC
    title_id, title_en = step_title(step)
    return (
        f"Pemasangan gagal pada tahap {title_id}; tim teknis Diskominfo akan "
        f"menindaklanjuti / Installation failed at {title_en}; Diskominfo's technical team "
        "will follow it up"
    )


_PROGRESS = {
    "running": "sedang berjalan / running",
    "done": "selesai / done",
    "undone": "dikembalikan / taken back",
    "undoing": "sedang dikembalikan / being taken back",
}


def public_progress(name: str, status: str) -> str | None:
    """A step's progress as an agency follows it live, instead of the tools' output: its
    name and where it is ("Basis data / Database: selesai / done"); None before it starts."""
    if status == "failed":
        return public_failure(name)
    words = _PROGRESS.get(status)
    return f"{step_label(name)}: {words}" if words else None


def public_job_error(state: str, error: str | None, failed_step: str | None) -> str | None:
    """A job's error as an agency reads it: None while there is none to tell."""
    if state == "failed":
        return public_failure(failed_step)
    if state == "cancelled":
        return CANCELLED
    if error and state == "queued":
        return WAITING  # the runner's "waiting for job N (lock)" note
    return None
