from piccolo.columns import Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class AuditEntry(Table, tablename="audit_entry"):
    """One change. Never updated or deleted: `hash` chains it to the entry before it."""

    at = Timestamptz()
    actor_id = Integer(null=True, default=None)
    actor = Varchar(length=150)
    entity = Varchar(length=50, index=True)
    entity_id = Varchar(length=64, index=True)
    action = Varchar(length=50)
    before = Text(null=True, default=None)
    after = Text(null=True, default=None)
    prev_hash = Varchar(length=64)
    hash = Varchar(length=64)
    # HMAC under the trail key; False only for entries written before the chain was keyed.
    keyed = Boolean(default=False)
