"""Plans approved and stored before the typed plans existed still load, and still match
their stored checksums: `from_dict(stored).to_dict()` is the stored dict, its checksum the
one computed when the plan was approved, and its summary the lines shown then. Each stored
form below is the literal JSON the dict-building code wrote before the typed plans (a
backslash at a line's end only continues a long line)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from provisioner.domain.plan import RetirePlan, plan_checksum, request_plan_from_dict

# A hosted site with TLS (an ACME directory configured).
HOSTING_TLS = """
{
  "dns": {
    "zone": "demokab.go.id",
    "changes": [
      {
        "action": "create",
        "name": "dinkes.demokab.go.id",
        "rtype": "A",
        "ttl": 300,
        "value": "127.0.2.12",
        "previous": null
      },
      {
        "action": "create",
        "name": "dinkes.dev.demokab.go.id",
        "rtype": "A",
        "ttl": 300,
        "value": "127.0.2.11",
        "previous": null
      }
    ]
  },
  "hosting": {
    "vhosts": [
      {"host": "web-dev", "fqdn": "dinkes.dev.demokab.go.id"},
      {"host": "web-prod", "fqdn": "dinkes.demokab.go.id"}
    ],
    "database": {"host": "db", "name": "site_dinkes", "user": "u_dinkes"},
    "deploy": {"repo": "ssh://git@127.0.2.40/opd/dinkes.git", "branch": "main"},
    "tls": [
      {
        "host": "web-prod",
        "fqdn": "dinkes.demokab.go.id",
        "acme": "https://127.0.2.53:14000/dir"
      }
    ]
  }
}
"""

# A hosted site without TLS.
HOSTING = """
{
  "dns": {
    "zone": "demokab.go.id",
    "changes": [
      {
        "action": "create",
        "name": "dinkes.demokab.go.id",
        "rtype": "A",
        "ttl": 300,
        "value": "127.0.2.12",
        "previous": null
      },
      {
        "action": "create",
        "name": "dinkes.dev.demokab.go.id",
        "rtype": "A",
        "ttl": 300,
        "value": "127.0.2.11",
        "previous": null
      }
    ]
  },
  "hosting": {
    "vhosts": [
      {"host": "web-dev", "fqdn": "dinkes.dev.demokab.go.id"},
      {"host": "web-prod", "fqdn": "dinkes.demokab.go.id"}
    ],
    "database": {"host": "db", "name": "site_dinkes", "user": "u_dinkes"},
    "deploy": {"repo": "ssh://git@127.0.2.40/opd/dinkes.git", "branch": "main"}
  }
}
"""

# DNS only: the name points at an address of the agency's own.
DNS_ONLY = """
{
  "dns": {
    "zone": "demokab.go.id",
    "changes": [
      {
        "action": "create",
        "name": "sipd.demokab.go.id",
        "rtype": "A",
        "ttl": 300,
        "value": "127.0.2.99",
        "previous": null
      }
    ]
  },
  "hosting": null
}
"""

# A change of target.
CHANGE_TARGET = """
{
  "kind": "change_target",
  "fqdn": "sikes.demokab.go.id",
  "site_request_id": 7,
  "target_address": "127.0.2.11",
  "summary": ["~ A sikes.demokab.go.id 127.0.2.12 → 127.0.2.11 (ttl 600)"],
  "dns": {
    "zone": "demokab.go.id",
    "changes": [
      {
        "action": "update",
        "name": "sikes.demokab.go.id",
        "rtype": "A",
        "ttl": 600,
        "value": "127.0.2.11",
        "previous": "127.0.2.12"
      }
    ]
  }
}
"""

# A change of target to the address already there.
CHANGE_TARGET_UNCHANGED = """
{
  "kind": "change_target",
  "fqdn": "sikes.demokab.go.id",
  "site_request_id": 7,
  "target_address": "127.0.2.12",
  "summary": ["= A sikes.demokab.go.id 127.0.2.12"],
  "dns": {"zone": "demokab.go.id", "changes": []}
}
"""

# A change of the person responsible.
CHANGE_CONTACT = """
{
  "kind": "change_contact",
  "fqdn": "sikes.demokab.go.id",
  "site_request_id": 7,
  "target_address": "127.0.2.12",
  "summary": [
    "~ penanggung jawab / person responsible of sikes.demokab.go.id: Budi Santoso \
<budi@dinkes.go.id>"
  ]
}
"""

# A deactivation.
DEACTIVATE = """
{
  "kind": "deactivate",
  "fqdn": "sikes.demokab.go.id",
  "site_request_id": 7,
  "target_address": null,
  "summary": ["- nonaktifkan / retire sikes.demokab.go.id (DNS, vhost, database)"]
}
"""

# The retirement of a hosted site.
RETIRE = """
{
  "fqdn": "dinkes.demokab.go.id",
  "items": [
    {"action": "delete", "kind": "dns", "target": "dinkes.demokab.go.id A 127.0.2.12"},
    {"action": "delete", "kind": "dns", "target": "dinkes.dev.demokab.go.id A 127.0.2.11"},
    {
      "action": "backup",
      "kind": "database",
      "target": "site_dinkes @ db -> /var/backups/provisioner/"
    },
    {"action": "delete", "kind": "site", "target": "dinkes.dev.demokab.go.id @ web-dev"},
    {"action": "delete", "kind": "site", "target": "dinkes.demokab.go.id @ web-prod"},
    {"action": "delete", "kind": "database", "target": "site_dinkes + u_dinkes @ db"},
    {"action": "release", "kind": "name", "target": "dinkes.demokab.go.id"}
  ]
}
"""

# kind: (stored JSON, the checksum stored at approval, the summary shown at approval)
STORED: dict[str, tuple[str, str, list[str]]] = {
    "hosting_tls": (
        HOSTING_TLS,
        "457e62615f1edadcb859da5d9a755cea9530dd68e32a72b72a1f27c11500d2fb",
        [
            "+ A dinkes.demokab.go.id 127.0.2.12 (ttl 300)",
            "+ A dinkes.dev.demokab.go.id 127.0.2.11 (ttl 300)",
            "+ vhost dinkes.dev.demokab.go.id @ web-dev",
            "+ vhost dinkes.demokab.go.id @ web-prod",
            "+ database site_dinkes (user u_dinkes) @ db",
            "~ deploy ssh://git@127.0.2.40/opd/dinkes.git (main) → dev, then the same commit → "
            "prod",
            "+ TLS certificate dinkes.demokab.go.id (ACME HTTP-01, https://127.0.2.53:14000/dir) "
            "+ HTTPS vhost @ web-prod",
        ],
    ),
    "hosting": (
        HOSTING,
        "92728809679afe06cbfd980500125ffb30ce89d20a35ca83550fab17300df4ec",
        [
            "+ A dinkes.demokab.go.id 127.0.2.12 (ttl 300)",
            "+ A dinkes.dev.demokab.go.id 127.0.2.11 (ttl 300)",
            "+ vhost dinkes.dev.demokab.go.id @ web-dev",
            "+ vhost dinkes.demokab.go.id @ web-prod",
            "+ database site_dinkes (user u_dinkes) @ db",
            "~ deploy ssh://git@127.0.2.40/opd/dinkes.git (main) → dev, then the same commit → "
            "prod",
        ],
    ),
    "dns_only": (
        DNS_ONLY,
        "a58908c95141c8b2a31c1755751edfdc3265fae3c83a7f7294057b610ae69f8d",
        [
            "+ A sipd.demokab.go.id 127.0.2.99 (ttl 300)",
        ],
    ),
    "change_target": (
        CHANGE_TARGET,
        "e181ceb8b3956e69d2d816d0df2d5999201a9dd89888f5eea3cfee566b59a85e",
        [
            "~ A sikes.demokab.go.id 127.0.2.12 → 127.0.2.11 (ttl 600)",
        ],
    ),
    "change_target_unchanged": (
        CHANGE_TARGET_UNCHANGED,
        "98365fdc9c279521fba851f173b0a7b76fd9f688b360591af4adfb847d264dc1",
        [
            "= A sikes.demokab.go.id 127.0.2.12",
        ],
    ),
    "change_contact": (
        CHANGE_CONTACT,
        "7af669d5670f2ee34c39dc26e26423d92ca3aa79ecf2a28f44a395ff9f53cf48",
        [
            "~ penanggung jawab / person responsible of sikes.demokab.go.id: Budi Santoso "
            "<budi@dinkes.go.id>",
        ],
    ),
    "deactivate": (
        DEACTIVATE,
        "72c9a387d14d7538eec6667e7b94b4c9239d2068b8eb62622060b4e062937521",
        [
            "- nonaktifkan / retire sikes.demokab.go.id (DNS, vhost, database)",
        ],
    ),
    "retire": (
        RETIRE,
        "12d74bf455d439f1c652acc5072207f0ad6c21abc8b7e77c2b03d95315038683",
        [
            "delete dns: dinkes.demokab.go.id A 127.0.2.12",
            "delete dns: dinkes.dev.demokab.go.id A 127.0.2.11",
            "backup database: site_dinkes @ db -> /var/backups/provisioner/",
            "delete site: dinkes.dev.demokab.go.id @ web-dev",
            "delete site: dinkes.demokab.go.id @ web-prod",
            "delete database: site_dinkes + u_dinkes @ db",
            "release name: dinkes.demokab.go.id",
        ],
    ),
}


def _load(kind: str, stored: dict[str, Any]) -> Any:
    return RetirePlan.from_dict(stored) if kind == "retire" else request_plan_from_dict(stored)


@pytest.mark.parametrize("kind", sorted(STORED))
def test_a_stored_plan_that_loads_to_another_dict_or_checksum_breaks_its_approval(
    kind: str,
) -> None:
    text, checksum, summary = STORED[kind]
    stored = json.loads(text)
    assert plan_checksum(stored) == checksum  # the literal is what was approved
    plan = _load(kind, stored)
    assert plan.to_dict() == stored
    assert plan.checksum() == checksum
    assert plan.summary() == summary
