"""The lab of real servers on loopback: `provisioner lab up|down|status`.

Each host is its own mount/uts/pid namespace with a private copy of /etc and its own
sshd as PID 1; see lifecycle.py for the flow and hosts.py for the table of hosts.
"""

from provisioner.lab.hosts import LAB_HOSTS, LabHost, Role, ensure_loopback
from provisioner.lab.lifecycle import HostReport, lab_down, lab_status, lab_up

__all__ = [
    "LAB_HOSTS",
    "HostReport",
    "LabHost",
    "Role",
    "ensure_loopback",
    "lab_down",
    "lab_status",
    "lab_up",
]
