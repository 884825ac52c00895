from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from vendorgov.contracts.tables import Contract


class ServiceRoute(Table, tablename="service_route"):
    """(service category, location subtree) → the contract responsible (§8). The deepest
    route above a place wins; (category, location_id) is unique (the migration's index)."""

    category = Varchar(length=30)
    location_id = Integer(index=True)
    contract = ForeignKey(Contract, on_delete=OnDelete.restrict)
    created_at = Timestamptz()
    created_by = Varchar(length=150)


class DeskMember(Table, tablename="desk_member"):
    """What an account does at the service desk beyond its role: a ward account's ward (and
    whether it is the ward's shared kiosk), a vendor user's duty (manager or worker) and a
    worker's team (one contract of its vendor; none: every contract of it). A vendor user
    without a row is a manager, as every vendor user was before requests existed."""

    user_id = Integer(unique=True)
    duty = Varchar(length=10)  # staff, kiosk, manager, worker
    location_id = Integer(null=True, default=None)
    contract_id = Integer(null=True, default=None)
    updated_at = Timestamptz()


class ServiceRequest(Table, tablename="service_request"):
    """One request (§9). Its number is its service event's external id; the times are taken by
    the server and copied to the event (sla.service.record_request) in the same transaction.
    The due and warning times are fixed when it is filed, from the tightest `_within` clause
    of the contract version then in force."""

    number = Varchar(length=20, unique=True)
    client_token = Varchar(length=64, null=True, default=None, unique=True)
    contract = ForeignKey(Contract, on_delete=OnDelete.restrict)
    vendor_id = Integer(index=True)
    category = Varchar(length=30)
    priority = Varchar(length=10)
    location_id = Integer()
    location_path = Varchar(length=200, index=True)
    location_name = Varchar(length=420)
    description = Text()
    photo_id = Varchar(length=36, default="")
    contact_name = Varchar(length=100)
    contact_phone = Varchar(length=20, index=True)
    channel = Varchar(length=10)  # ward, kiosk, hotline
    requested_by = Integer(index=True)
    requested_by_name = Varchar(length=100)
    status = Varchar(length=12, index=True)
    assignee_id = Integer(null=True, default=None, index=True)
    assignee_name = Varchar(length=100, default="")
    reported_at = Timestamptz(index=True)
    accepted_at = Timestamptz(null=True, default=None)
    responded_at = Timestamptz(null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)
    confirmed_at = Timestamptz(null=True, default=None)
    resolution_note = Text(default="")
    resolution_photo_id = Varchar(length=36, default="")
    rating = Integer(null=True, default=None)
    rating_comment = Text(default="")
    complaint = Boolean(default=False)
    complaint_review = Varchar(length=10, default="")  # pending, confirmed, dismissed
    finding_id = Integer(null=True, default=None)
    response_warn_at = Timestamptz(null=True, default=None)
    response_due_at = Timestamptz(null=True, default=None)
    resolution_warn_at = Timestamptz(null=True, default=None)
    resolution_due_at = Timestamptz(null=True, default=None)
    # per step: 0, 1 (the vendor's managers told), 2 (the supervisors told)
    response_escalation = Integer(default=0)
    resolution_escalation = Integer(default=0)
    updated_at = Timestamptz()
