"""The read models services return (built by provisioner/store/read_models.py), named here
so that api/ and the CLI can type against them without importing the store."""

from __future__ import annotations

from provisioner.store.read_models import (
    ApprovalResult,
    EventView,
    JobView,
    LetterView,
    RequestView,
    RetirementView,
    StepView,
)

__all__ = [
    "ApprovalResult",
    "EventView",
    "JobView",
    "LetterView",
    "RequestView",
    "RetirementView",
    "StepView",
]
