"""What the request use cases know of the deployment: the zone and its dev sub-zone, how a
draft is checked, where sites are placed. Taken from the settings once, by the composition
root, so each use case gets the few values it needs instead of every setting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from provisioner.config import Settings
from provisioner.domain.plan import Placement
from provisioner.domain.requests import RequestDraft, normalise_draft


@dataclass(frozen=True)
class RequestRules:
    zone: str
    dev_subzone: str
    git_base_url: str
    allowed_target_networks: tuple[str, ...]
    timezone: str
    letter_max_age_years: int

    @classmethod
    def from_settings(cls, settings: Settings) -> RequestRules:
        return cls(
            zone=settings.zone,
            dev_subzone=settings.dev_subzone,
            git_base_url=settings.git_base_url,
            allowed_target_networks=tuple(settings.allowed_target_networks),
            timezone=settings.timezone,
            letter_max_age_years=settings.letter_max_age_years,
        )

    def prod_fqdn(self, label: str) -> str:
        return f"{label}.{self.zone}"

    def dev_fqdn(self, label: str) -> str:
        return f"{label}.{self.dev_subzone}.{self.zone}"

    def today(self) -> date:
        """The day in the agency's time zone (tickets, the letter's age)."""
        return datetime.now(ZoneInfo(self.timezone)).date()

    def normalise(self, draft: RequestDraft) -> RequestDraft:
        """Every field but the label checked (InvalidInput with all problems), text trimmed
        and the repository URL made full."""
        return normalise_draft(
            draft,
            git_base_url=self.git_base_url,
            allowed_networks=list(self.allowed_target_networks),
            today=self.today(),
            letter_max_age_years=self.letter_max_age_years,
        )


def placement_from(settings: Settings) -> Placement:
    """Where a new site goes; TLS on production when an ACME directory is configured."""
    return Placement(
        web_dev_host=settings.web_dev_host,
        web_dev_address=settings.web_dev_address,
        web_prod_host=settings.web_prod_host,
        web_prod_address=settings.web_prod_address,
        db_host=settings.db_host,
        ttl=settings.dns_ttl,
        acme_directory_url=settings.acme_directory_url,
    )
