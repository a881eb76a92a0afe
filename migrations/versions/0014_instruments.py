"""links: rounds kept on the core instrument get the links it now names its MAPS content by

Revision ID: 0014_instruments
Revises: 0013_journey
Create Date: 2026-12-01

A definition now asks for MAPS's own content (Table 5.1's recommendations, the typology
placements, the disputed facts) by name, in a `links:` block, never by a matching id. The
core instrument's files gained that block at their end; a round keeps the text it opened
with, so the texts rounds kept before this get the same block, under their new SHA-256, and
go on showing what they showed. No schema change.
"""
import hashlib
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014_instruments'
down_revision: str | None = '0013_journey'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CORE = re.compile(r"^key:\s*multi-agency-working\s*(#.*)?$", re.MULTILINE)
LINKS = re.compile(r"^links:", re.MULTILINE)
# As app/questionnaires/multi-agency-working*.yaml end, so a kept text that was a file's
# becomes the file's text now, and the catalogue knows it by its hash.
BLOCK = ('\n'
         '# MAPS\'s own content this instrument asks for, by name (docs/questionnaires.md, "Links"): the\n'
         "# review's Table 5.1 strategies for its factors, placements on the models of section 2.3 from\n"
         '# its structural facts, and the facts members dispute. Rounds kept from before links existed\n'
         '# were given this block by migration 0011.\n'
         'links:\n'
         '  recommendations: review-table-5.1\n'
         '  typologies: [townsley, gaster, fox_butler_stage, fox_butler_function, audit_commission,\n'
         '               atkinson, watson]\n'
         '  structural_facts: true\n')

texts = sa.table('definitiontext', sa.column('sha256', sa.String), sa.column('text', sa.Text),
                 sa.column('created_at', sa.DateTime))
USERS = (('assessmentround', 'questionnaire_sha256'), ('uploadedquestionnaire', 'sha256'))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _rewrite(change) -> None:
    """Each kept text that `change` gives a new text for: the new text kept (once), every
    round (and upload) pointing at the new one, the old one deleted."""
    bind = op.get_bind()
    for sha256, text, created in bind.execute(sa.select(texts.c.sha256, texts.c.text,
                                                        texts.c.created_at)).all():
        new = change(text)
        if new is None:
            continue
        new_sha256 = _sha256(new)
        if not bind.execute(sa.select(texts.c.sha256).where(
                texts.c.sha256 == new_sha256)).first():
            bind.execute(texts.insert().values(sha256=new_sha256, text=new, created_at=created))
        for table, column in USERS:
            bind.execute(sa.text(f"UPDATE {table} SET {column} = :new WHERE {column} = :old"),
                         {"new": new_sha256, "old": sha256})
        bind.execute(texts.delete().where(texts.c.sha256 == sha256))


def _with_links(text: str) -> str | None:
    if not CORE.search(text) or LINKS.search(text):
        return None
    return text + ("" if text.endswith("\n") else "\n") + BLOCK


def upgrade() -> None:
    _rewrite(_with_links)


def downgrade() -> None:
    # Nothing to undo, and a downgrade changes no row (tests/test_faults.py): the code before
    # this revision does not know `links`, so it reads such a kept text as one it no longer
    # accepts and falls back on the installed version with the same key and version, which is
    # the same instrument.
    pass
