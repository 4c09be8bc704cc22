"""`provisioner doctor`: checks of the real setup, built on their own (no store needed)."""

from __future__ import annotations

from provisioner.adapters import service_probes
from provisioner.adapters.dns.probe import ZoneProbe
from provisioner.adapters.dns.tsig import TsigKey
from provisioner.adapters.dns.zones import DnsAdapter
from provisioner.adapters.inventory import read_inventory
from provisioner.adapters.remote_shell import RemoteShell
from provisioner.bootstrap import configs
from provisioner.config import Settings
from provisioner.workflow.doctor.service import DoctorProbes, DoctorService


def build_doctor(settings: Settings) -> DoctorService:
    """The doctor with its adapters: the ssh client Ansible's settings use, each zone's
    reads and update probe (with the zone's key), the inventory, ACME and SMTP probes."""

    zones = {z.zone: z for z in configs.zone_configs(settings)}
    timeout, tls = settings.dns_timeout, configs.tls_config(settings)

    def open_zone(zone: str) -> tuple[DnsAdapter, ZoneProbe]:
        z = zones[zone]
        key = TsigKey.load(z.tsig_key_file)
        adapter = DnsAdapter(zone=z.zone, primary=z.primary, key=key, timeout=timeout)
        return adapter, ZoneProbe(z.zone, z.primary, key, timeout=max(timeout, 3.0))

    probes = DoctorProbes(
        shell=RemoteShell(configs.ssh_config(settings)),
        open_zone=open_zone,
        read_hosts=lambda: read_inventory(settings.inventory),
        acme=lambda: service_probes.acme_directory(tls.acme_directory_url, tls.acme_ca_file),
        smtp=lambda: service_probes.smtp_greeting(
            settings.smtp_host or "", settings.smtp_port, starttls=settings.smtp_starttls
        ),
    )
    return DoctorService(configs.doctor_config(settings), configs.doctor_zones(settings), probes)
