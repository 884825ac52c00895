from piccolo.columns import (
    Boolean,
    Date,
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
    # The place in the location tree (locations service); `location` keeps its full name then.
    location_id = Integer(null=True, default=None, index=True)


class InspectionPlan(Table, tablename="inspection_plan"):
    """A contract's inspections of one month: the comprehensive one and N spot checks, drawn
    from the seed (kept, so the same plan can be drawn again and checked)."""

    contract = ForeignKey(Contract, on_delete=OnDelete.restrict)
    month = Varchar(length=7)  # YYYY-MM; one plan per contract and month (unique index)
    seed = Varchar(length=32)
    spot_checks = Integer()
    created_by = Varchar(length=150)
    created_at = Timestamptz()


class PlanItem(Table, tablename="inspection_plan_item"):
    plan = ForeignKey(InspectionPlan, on_delete=OnDelete.cascade)
    kind = Varchar(length=20)  # comprehensive or spot_check
    due_on = Date(index=True)
    location_id = Integer(null=True, default=None)  # a place; None: the whole scope
    assignee_id = Integer(null=True, default=None, index=True)
    assignee = Varchar(length=150, default="")
    status = Varchar(length=10, default="pending")  # pending, done
    inspection_id = Integer(null=True, default=None)
