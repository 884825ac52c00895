from piccolo.columns import (
    Boolean,
    ForeignKey,
    Integer,
    Numeric,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from vendorgov.contracts.tables import Contract


class ChecklistTemplate(Table, tablename="checklist_template"):
    """One version of a checklist. Never changed once used: a change is a new version (a new
    row), so past inspections keep the items they were scored on."""

    category = Varchar(length=30, index=True)
    name = Varchar(length=200)
    version = Integer()
    # JSON list of {key, text, weight, severity, clause}: weight a decimal string, severity
    # minor/major/critical if the item fails, clause an optional SLA clause code.
    items = Text()
    active = Boolean(default=True)
    created_at = Timestamptz()


class Inspection(Table, tablename="inspection"):
    contract = ForeignKey(Contract, on_delete=OnDelete.restrict)
    template = ForeignKey(ChecklistTemplate, on_delete=OnDelete.restrict)
    kind = Varchar(length=20)
    location = Varchar(length=200)
    inspector_id = Integer(null=True, default=None)
    inspector = Varchar(length=150)
    inspected_at = Timestamptz(index=True)
    score = Numeric(digits=(6, 2), null=True, default=None)
    # JSON {item key: {"result": "pass"|"fail"|"na", "note": "..."}}
    results = Text()
    # Chosen by the phone when the draft is made: a draft sent twice (flaky connection) is
    # stored once.
    client_token = Varchar(length=64, unique=True)
    created_at = Timestamptz()
