from piccolo.columns import UUID, Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from vendorgov.contracts.tables import Contract


class Finding(Table, tablename="finding"):
    """A defect: from an inspection item, a third-party audit or a complaint."""

    contract = ForeignKey(Contract, on_delete=OnDelete.restrict)
    source = Varchar(length=20)  # inspection, audit, complaint
    inspection_id = Integer(null=True, default=None)
    item_key = Varchar(length=20, default="")
    clause_code = Varchar(length=40, default="")
    category = Varchar(length=200)  # what the Pareto chart groups by: the checklist item
    severity = Varchar(length=10)
    description = Text()
    found_at = Timestamptz(index=True)
    status = Varchar(length=10, default="open")  # open, noticed, closed
    notice_id = Integer(null=True, default=None, index=True)
    created_by = Varchar(length=150)
    location_id = Integer(null=True, default=None, index=True)  # a place (locations service)


class Notice(Table, tablename="rectification_notice"):
    """整改通知单: findings of one contract sent to the vendor with a deadline, or a D grade
    of a month (§7), drafted by the month-end's approval for a supervisor to issue or discard.

    A draft has no number, issue time or deadline yet: until it is issued, `number` is a
    placeholder (DRAFT-month-Ccontract) and `issued_at` and `deadline` hold the drafting time
    (the columns are NOT NULL); nothing reads them as a deadline while the status is draft or
    discarded."""

    number = Varchar(length=40, unique=True)
    contract = ForeignKey(Contract, on_delete=OnDelete.restrict)
    status = Varchar(length=15)  # draft, issued, acknowledged, responded, closed, discarded
    issued_at = Timestamptz()
    deadline = Timestamptz(index=True)
    closed_at = Timestamptz(null=True, default=None)
    issued_by = Varchar(length=150)
    origin = Varchar(length=10, default="findings")  # findings, or grade (drafted at month-end)
    month = Varchar(length=7, default="", index=True)  # grade notices: the assessed month
    run_id = Integer(null=True, default=None)  # grade notices: the approved payment run
    body = Text(default="")  # grade notices: what the notice says (month, score, grade)
    severity = Varchar(length=10, default="")  # grade notices: chosen at issue, sets deadline
    discard_reason = Text(default="")
    # Where its findings are: their deepest common place (locations service), if any.
    location_id = Integer(null=True, default=None, index=True)


class NoticeStep(Table, tablename="notice_step"):
    """The notice's timeline: issue, acknowledge, respond, verify (passed or failed)."""

    notice = ForeignKey(Notice, on_delete=OnDelete.restrict)
    at = Timestamptz()
    action = Varchar(length=20)
    actor = Varchar(length=150)
    note = Text(default="")
    deadline = Timestamptz(null=True, default=None)  # set by issue and failed verification
    evidence = Text(default="[]")  # JSON list of stored file ids (photos, documents)


class AuditAssignment(Table, tablename="audit_assignment"):
    """A third-party audit agency's account, assigned to one contract for a period: all it
    may see and work on."""

    auditor_id = Integer(index=True)
    auditor = Varchar(length=150)
    contract = ForeignKey(Contract, on_delete=OnDelete.restrict)
    period_from = Date()
    period_to = Date()
    assigned_by = Varchar(length=150)
    assigned_at = Timestamptz()
    report_file = UUID(null=True, default=None)  # the agency's report, once uploaded
    report_uploaded_at = Timestamptz(null=True, default=None)
