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


class ServiceEvent(Table, tablename="service_event"):
    """One help-desk request the vendor handled. (contract, external_id) is unique: a
    migration adds the index, and re-importing an id updates the event."""

    contract = ForeignKey(Contract, on_delete=OnDelete.restrict)
    external_id = Varchar(length=100)
    category = Varchar(length=50)
    priority = Varchar(length=10)
    location = Varchar(length=200, default="")
    # The place whose code or full name `location` is (locations service), if any.
    location_id = Integer(null=True, default=None, index=True)
    reported_at = Timestamptz(index=True)
    responded_at = Timestamptz(null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)
    satisfaction = Integer(null=True, default=None)
    complaint = Boolean(default=False)
    updated_at = Timestamptz()


class SurveyResponse(Table, tablename="survey_response"):
    contract = ForeignKey(Contract, on_delete=OnDelete.restrict)
    respondent_type = Varchar(length=10)  # patient or staff
    score = Integer()
    responded_on = Date(index=True)
    comment = Text(default="")
    created_at = Timestamptz()


class ClauseResult(Table, tablename="sla_clause_result"):
    """A clause's measurement for one contract and month, pooled over the versions that governed
    its events and scored by the latest (computed, replaceable). Attained and score are shown
    to 4 decimals; the month-end keeps them exact."""

    contract = ForeignKey(Contract, on_delete=OnDelete.restrict)
    month = Varchar(length=7, index=True)
    version_id = Integer()
    version_number = Integer()
    code = Varchar(length=40)
    name = Varchar(length=200)
    kind = Varchar(length=30)
    events = Integer()
    attained = Numeric(digits=(12, 4))
    target = Numeric(digits=(12, 4))
    minimum = Numeric(digits=(12, 4))
    weight = Numeric(digits=(12, 4))
    score = Numeric(digits=(8, 4))
    met = Boolean()
    missed_event_ids = Text(default="[]")  # JSON list, for the drill-down


class MonthMeasure(Table, tablename="sla_month"):
    """The SLA component of one contract's month; None when no clause had events."""

    contract = ForeignKey(Contract, on_delete=OnDelete.restrict)
    month = Varchar(length=7, index=True)
    sla_component = Numeric(digits=(6, 2), null=True, default=None)
    events = Integer()
    computed_at = Timestamptz()
