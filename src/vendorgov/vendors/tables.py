from piccolo.columns import Boolean, Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from vendorgov.files.tables import StoredFile


class Vendor(Table):
    name = Varchar(length=200, index=True)
    uscc = Varchar(length=18, unique=True)
    legal_representative = Varchar(length=100, default="")
    address = Varchar(length=300, default="")
    phone = Varchar(length=30, default="")
    email = Varchar(length=200, default="")
    # The payee's bank for the accounting export (§7); optional until the first payment.
    bank_name = Varchar(length=100, default="")
    bank_account = Varchar(length=30, default="")
    status = Varchar(length=20, default="active", index=True)
    status_reason = Text(default="")
    suspended_until = Date(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    # Bumped on every change; a save naming an older revision is refused (409).
    revision = Integer(default=1)
    # §3a: declared small or micro enterprise ("" not declared), with the evidence text.
    sme_size = Varchar(length=8, default="")
    sme_evidence = Text(default="")
    sme_declared_at = Timestamptz(null=True, default=None)
    sme_declared_by = Varchar(length=150, default="")


class VendorCategory(Table, tablename="vendor_category"):
    """A service category the vendor offers."""

    vendor = ForeignKey(Vendor, on_delete=OnDelete.cascade)
    category = Varchar(length=30, index=True)


class Contact(Table):
    vendor = ForeignKey(Vendor, on_delete=OnDelete.cascade)
    name = Varchar(length=100)
    title = Varchar(length=100, default="")
    phone = Varchar(length=30, default="")
    email = Varchar(length=200, default="")
    is_primary = Boolean(default=False)


class Qualification(Table):
    vendor = ForeignKey(Vendor, on_delete=OnDelete.cascade)
    kind = Varchar(length=40, index=True)
    number = Varchar(length=100)
    issued_on = Date()
    expires_on = Date(index=True)
    scan = ForeignKey(StoredFile, null=True, default=None, on_delete=OnDelete.restrict)
    created_at = Timestamptz()
