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


class PaymentRun(Table, tablename="payment_run"):
    """One revision of a month's run. Approved revisions are never changed: recomputing makes
    a new revision, which needs approval again. (month, revision) is unique."""

    month = Varchar(length=7, index=True)
    revision = Integer()
    status = Varchar(length=10)  # computed, approved, returned (for correction)
    reason = Text(default="")  # why this revision was computed (recomputing an approved month)
    computed_by = Varchar(length=150)
    computed_by_id = Integer(null=True, default=None)
    computed_at = Timestamptz()
    approved_by = Varchar(length=150, default="")
    approved_at = Timestamptz(null=True, default=None)
    # The reviewer's return for correction (§7): who, when and why; it is then recomputed.
    returned_by = Varchar(length=150, default="")
    returned_at = Timestamptz(null=True, default=None)
    return_reason = Text(default="")


class Statement(Table, tablename="payment_statement"):
    """A contract's month in a run: components, score, grade and every money line."""

    run = ForeignKey(PaymentRun, on_delete=OnDelete.restrict)
    contract = ForeignKey(Contract, on_delete=OnDelete.restrict)
    vendor_id = Integer(index=True)
    components = Text()  # JSON {component: exact value as text (vendorgov.exact) or null}
    weights = Text()  # JSON {component: rescaled weight}
    score = Numeric(digits=(6, 2), null=True, default=None)
    grade = Varchar(length=2, default="")
    pay_percent = Numeric(digits=(6, 2), null=True, default=None)
    base = Numeric(digits=(14, 2))
    deductions = Numeric(digits=(14, 2))
    net = Numeric(digits=(14, 2))
    lines = Text()  # JSON list of {kind, description, amount, evidence}
    termination_review = Integer(default=0)  # 1 when flagged (§7)
    # Copied unchanged from the previous revision when only other contracts were recomputed.
    carried_over = Boolean(default=False)


class Dispute(Table, tablename="payment_dispute"):
    """A vendor's objection to one line of its draft statement (§7), and finance's ruling."""

    run_id = Integer(index=True)
    contract_id = Integer()
    vendor_id = Integer(index=True)
    month = Varchar(length=7, index=True)
    line = Varchar(length=40)  # component:<key> or line:<index> of the statement's lines
    line_label = Text()  # what the line said when it was disputed
    reason = Text()
    evidence = Text(default="[]")  # JSON list of stored file ids
    status = Varchar(length=10, default="open")  # open, upheld, rejected
    raised_by = Varchar(length=150)
    raised_at = Timestamptz()
    ruling = Text(default="")  # upheld: what was corrected; rejected: why (the vendor sees it)
    ruled_by = Varchar(length=150, default="")
    ruled_at = Timestamptz(null=True, default=None)


class DisputeWaiver(Table, tablename="payment_dispute_waiver"):
    """A vendor gave up its dispute window on a run; (run_id, vendor_id) is unique."""

    run_id = Integer()
    vendor_id = Integer()
    waived_by = Varchar(length=150)
    waived_at = Timestamptz()
