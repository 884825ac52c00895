from piccolo.columns import Date, ForeignKey, Integer, Numeric, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from vendorgov.vendors.tables import Vendor


class Contract(Table):
    number = Varchar(length=40, unique=True)
    title = Varchar(length=200)
    vendor = ForeignKey(Vendor, on_delete=OnDelete.restrict)
    category = Varchar(length=30, index=True)
    start_date = Date()
    end_date = Date(index=True)
    status = Varchar(length=20, default="draft", index=True)
    status_reason = Text(default="")
    scope = Text(default="")
    # The tender whose award created this contract, if any.
    tender_id = Integer(null=True, default=None)
    notice_days = Integer(default=90)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class ContractVersion(Table, tablename="contract_version"):
    """One version of the terms. Editable while draft; a signed one is never updated."""

    contract = ForeignKey(Contract, on_delete=OnDelete.restrict)
    number = Integer()
    status = Varchar(length=10, default="draft")
    effective_from = Date()
    monthly_fee = Numeric(digits=(14, 2))
    # Clauses, scheme, bands, penalties, deadlines, cap and text: rules.to_plain(Terms), JSON.
    terms = Text()
    amendment_reason = Text(default="")
    based_on = Integer(null=True, default=None)
    # Bumped on every save of the draft; a save based on an older revision is refused (409).
    revision = Integer(default=1)
    created_at = Timestamptz()
    created_by = Varchar(length=150)
    updated_at = Timestamptz()
    signed_at = Timestamptz(null=True, default=None)
    signed_by = Varchar(length=150, default="")
