"""The lab's own error: something the lab could not set up on this machine."""

from __future__ import annotations

from provisioner.domain.errors import ProvisionerError


class LabError(ProvisionerError):
    """Bringing the lab up or down failed (missing tool, failed command, bad state file)."""
