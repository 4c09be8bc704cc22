"""Adopting the DNS records a zone already holds (brownfield): list what the ownership
registry does not own, review a plan, take the records in (provisioner.workflow.dns_adoption
.service). Nothing is written to any zone."""
