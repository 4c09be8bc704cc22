"""The approved plan: stable checksum, any change detected, readable summary."""

import pytest

from provisioner.domain.errors import UnsafeChange
from provisioner.domain.plan import Placement, ProvisionPlan, ensure_same_plan, plan_checksum

PLACE = Placement("web-dev", "127.0.2.11", "web-prod", "127.0.2.12", "db", 300)


def plan(**over):
    args = dict(zone="demokab.go.id", fqdn="dinkes.demokab.go.id",
                dev_fqdn="dinkes.dev.demokab.go.id", hosting=True, target_address=None,
                repo_url="ssh://git/x.git", branch="main", db_name="site_dinkes",
                db_user="u_dinkes", placement=PLACE)
    args.update(over)
    return ProvisionPlan.build(**args).to_dict()


def plan_summary(stored):
    return ProvisionPlan.from_dict(stored).summary()


def test_checksum_is_stable_and_detects_changes():
    assert plan_checksum(plan()) == plan_checksum(plan())
    ensure_same_plan(plan_checksum(plan()), plan())
    with pytest.raises(UnsafeChange):
        ensure_same_plan(plan_checksum(plan()), plan(branch="other"))
    with pytest.raises(UnsafeChange):
        ensure_same_plan(None, plan())


def test_summary_names_every_item():
    lines = plan_summary(plan())
    text = "\n".join(lines)
    assert "dinkes.demokab.go.id" in text and "127.0.2.12" in text
    assert "dinkes.dev.demokab.go.id" in text and "127.0.2.11" in text
    assert "site_dinkes" in text and "vhost" in text and "deploy" in text


def test_dns_only_plan_points_at_the_target():
    p = plan(hosting=False, target_address="127.0.2.99", repo_url=None, branch=None,
             db_name=None, db_user=None)
    assert p["hosting"] is None
    assert any("127.0.2.99" in line for line in plan_summary(p))


def test_tls_is_planned_for_production_only_when_an_acme_directory_is_configured():
    from dataclasses import replace

    from provisioner.domain.jobs import provision_steps
    from provisioner.domain.plan import tls_targets

    assert tls_targets(plan()) == [] and "tls" not in plan()["hosting"]
    acme = "https://127.0.2.53:14000/dir"
    with_tls = plan(placement=replace(PLACE, acme_directory_url=acme))
    assert tls_targets(with_tls) == [
        {"host": "web-prod", "fqdn": "dinkes.demokab.go.id", "acme": acme}
    ]
    assert plan_checksum(with_tls) != plan_checksum(plan())
    assert any("TLS certificate dinkes.demokab.go.id" in line for line in plan_summary(with_tls))
    names = [s.name for s in provision_steps(True, tls=True)]
    assert names[names.index("site_prod") + 1] == "tls_prod"
    assert names[names.index("tls_prod") + 1] == "checks_prod"
    assert "tls_prod" not in [s.name for s in provision_steps(True)]
    dns_only = plan(hosting=False, target_address="127.0.2.99", repo_url=None, branch=None,
                    db_name=None, db_user=None, placement=replace(PLACE, acme_directory_url=acme))
    assert tls_targets(dns_only) == []
