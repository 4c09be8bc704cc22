"""The plan a request's approval covers, built from the request and the registry: a new
site's DNS records, vhosts, database and source, or what a change request does. A plan that
cannot be carried out is refused before approval, with the reason."""

from __future__ import annotations

from dataclasses import dataclass

from provisioner.domain.errors import Conflict, InvalidInput
from provisioner.domain.plan import Placement, ProvisionPlan, RequestPlan
from provisioner.domain.site_names import SiteNames, bilingual
from provisioner.domain.states import HOLDS_NAME
from provisioner.store.db import Store
from provisioner.store.models.requests import Request
from provisioner.store.repositories import dns as dns_repo, requests as requests_repo
from provisioner.workflow.requests.changes import change_plan
from provisioner.workflow.requests.rules import RequestRules


@dataclass(frozen=True)
class RequestPlans:
    store: Store
    rules: RequestRules
    placement: Placement

    def preview(self, request_id: int) -> RequestPlan:
        with self.store.read() as s:
            return self.plan_for(requests_repo.get_request(s, request_id))

    def plan_for(self, req: Request) -> RequestPlan:
        if req.request_type != "new":
            owned = self._owned_a_record(req) if req.request_type == "change_target" else None
            return change_plan(req, owned, self.placement.ttl)
        db_name, db_user = self._executable_db_names(req) if req.hosting else (None, None)
        return ProvisionPlan.build(
            zone=req.zone,
            fqdn=req.fqdn,
            dev_fqdn=self.rules.dev_fqdn(req.label),
            hosting=req.hosting,
            target_address=req.target_address,
            repo_url=req.repo_url,
            branch=req.branch,
            db_name=db_name,
            db_user=db_user,
            placement=self.placement,
            # A static site gets no PHP pool and no database unless the request asks for one.
            static=req.stack == "static",
            database=req.stack != "static" or bool(req.db_wanted),
        )

    def _executable_db_names(self, req: Request) -> tuple[str, str]:
        """The site's database names, once every name derived for it fits the limits of
        its servers (InvalidInput) and belongs to no other site (Conflict)."""
        names = SiteNames.derive(req.label, fqdn=req.fqdn, dev_fqdn=self.rules.dev_fqdn(req.label))
        problems = names.problems()
        if problems:
            raise InvalidInput("label", bilingual(problems))
        with self.store.read() as s:
            others = requests_repo.hosting_sites_holding_names(
                s, states=sorted(HOLDS_NAME), exclude_request_id=req.id
            )
        for _id, ticket, label, db_name, db_user in others:
            other = SiteNames.derive(
                label, fqdn=self.rules.prod_fqdn(label), dev_fqdn=self.rules.dev_fqdn(label),
            ).with_database(db_name, db_user)  # fmt: skip
            shared = names.clashes_with(other)
            if shared:
                raise Conflict(
                    f"Rencana tidak dapat dijalankan: "
                    f"{', '.join(w for w, _ in shared)} sudah dipakai permohonan {ticket} / "
                    f"The plan cannot be carried out: {', '.join(w for _, w in shared)} "
                    f"already belongs to request {ticket}"
                )
        return names.db_name, names.db_user

    def _owned_a_record(self, req: Request) -> tuple[str, int] | None:
        """The value and TTL provisioner last wrote for the site's A record, if it owns it."""
        with self.store.read() as s:
            row = dns_repo.owned_record(s, req.fqdn, "A")
            return (row.value, row.ttl) if row is not None else None
