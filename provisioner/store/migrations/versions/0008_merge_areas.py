"""Merge the areas' parallel revisions (dns, deploy, jobs, people, letters) into one head.

Revision ID: 0008_merge
Revises: 0002_dns, 0004_deploy, 0005_jobs, 0006_people, 0007_letters
"""

revision = "0008_merge"
down_revision = ("0002_dns", "0004_deploy", "0005_jobs", "0006_people", "0007_letters")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
