"""Sealed bids (§3): submission, replacement, withdrawal, receipts, the bid list and the
opened bid files. Bid content stays sealed (see sealing.py) until opening."""

from __future__ import annotations

import base64
import secrets
from decimal import Decimal

from vendorgov import db, paging
from vendorgov.accounts.roles import Principal, Role, role_label
from vendorgov.audit import service as audit
from vendorgov.errors import Collector, Conflict, Forbidden, InvalidInput, NotFound
from vendorgov.files import service as files
from vendorgov.files.service import Upload
from vendorgov.humane import status_label
from vendorgov.i18n import N_, _
from vendorgov.paging import Page, PageRequest
from vendorgov.tenders import common, rules, sealing
from vendorgov.tenders.rules import Status
from vendorgov.tenders.tables import Bid, BidFile
from vendorgov.vendors import service as vendors


async def bids(principal: Principal, tender_id: int) -> list[dict]:
    """The bids received. Before opening: arrival times and digests only (no vendor, price or
    file) for staff; a vendor sees only its own submissions."""
    row = await common.tender_row(tender_id)
    await common.ensure_reader(principal, row)
    opened = row["opened_at"] is not None
    query = Bid.select(Bid.all_columns(), Bid.vendor.name.as_alias("vendor_name")).where(
        Bid.tender == tender_id
    )
    if principal.is_vendor:
        query = query.where(Bid.vendor == principal.vendor_id)
    elif principal.role is Role.evaluator:
        member = await common.member_of(tender_id, principal.user_id)
        if not opened or not member or not member["declared_at"] or member["conflict"]:
            raise Forbidden(
                _("Declare your conflicts of interest first; the bids are shown after that.")
            )
    elif principal.role not in common.STAFF:
        raise Forbidden(
            _("The %(role)s role has no access to bids.", role=role_label(principal.role))
        )
    if not opened and not principal.is_vendor:
        query = query.where(Bid.state == "active")
    rows = await query.order_by(Bid.received_at)
    result = []
    for number, bid in enumerate(rows, start=1):
        view = common.bid_view(bid, opened)
        view["number"] = number
        if opened or principal.is_vendor:
            view["vendor"] = bid["vendor"]
            view["vendor_name"] = bid["vendor_name"]
        if opened:
            # Only the bids standing at the deadline were opened; replaced and withdrawn ones
            # stay sealed.
            view["files"] = common.file_names(bid, row) if bid["state"] == "active" else []
        result.append(view)
    return result


async def submit_bid(
    actor: Principal,
    tender_id: int,
    price: Decimal | None,
    price_lines: list[tuple[str, Decimal]],
    uploads: list[Upload],
) -> dict:
    """A vendor's sealed bid; an earlier one of the same vendor is replaced. Returns the
    receipt: digest, exact receipt time and the content the digest covers (to keep)."""
    if not actor.is_vendor:
        raise Forbidden(_("Only vendor users submit bids."))
    errors = Collector()
    rules.price_lines_errors(price, price_lines, errors)
    for i, upload in enumerate(uploads):
        try:
            files.check_upload(f"files[{i}]", upload)
        except InvalidInput as error:
            errors.errors.extend(error.errors)
    errors.raise_if_any()
    standing = (await vendors.standing([actor.vendor_id], common.local(common.now()).date()))[
        actor.vendor_id
    ]
    row = await common.tender_row(tender_id)
    # A tender the vendor cannot see (a draft, another category, an invited tender it was not
    # invited to) does not exist for it.
    await common.ensure_reader(actor, row)
    if standing["status"] != "active":
        raise InvalidInput.single(
            "vendor",
            "status",
            _(
                "Your company is %(status)s in the vendor registry and cannot bid (§2); only "
                "an active vendor bids.",
                status=status_label(standing["status"]),
            ),
        )
    files_meta = [
        {"name": u.filename, "sha256": sealing.file_digest(u.data), "size": len(u.data)}
        for u in uploads
    ]
    salt = sealing.new_salt()
    content = {
        "tender": row["reference"],
        "vendor": standing["uscc"],
        "price": str(price),
        "price_lines": [[item.strip(), str(amount)] for item, amount in price_lines],
        "files": files_meta,
        "salt": salt,
    }
    digest = sealing.digest(content)
    # Encrypted before the write lock is taken: up to 60 MB of files must not hold up every
    # other writer. The tender key never changes, so the row read above serves.
    key = common.tender_key(row)
    sealed = sealing.encrypt(
        key,
        sealing.padded(sealing.canonical(content)),
        common.envelope_context(row, actor.vendor_id),
    )
    bidder = common.seal_bidder(key, row, actor)
    blobs = [
        sealing.encrypt(key, upload.data, common.file_context(row, salt, position))
        for position, upload in enumerate(uploads)
    ]
    async with db.transaction():
        row = await common.tender_row(tender_id, lock=True)
        received_at = common.now()
        if row["status"] != Status.published:
            raise Conflict(
                _(
                    "The tender is %(status)s, not open for bids.",
                    status=status_label(row["status"]),
                )
            )
        if received_at >= row["bid_deadline"]:
            raise Conflict(
                _(
                    "Bid deadline: bids closed at %(deadline)s; this bid arrived at %(received)s.",
                    deadline=common.local(row["bid_deadline"]).strftime("%Y-%m-%d %H:%M:%S %Z"),
                    received=common.local(received_at).strftime("%Y-%m-%d %H:%M:%S"),
                )
            )
        previous = await Bid.select(Bid.id, Bid.ref).where(
            (Bid.tender == tender_id) & (Bid.vendor == actor.vendor_id) & (Bid.state == "active")
        )
        await Bid.update({Bid.state: "replaced"}).where(
            Bid.id.is_in([p["id"] for p in previous] or [0])
        )
        bid = Bid(
            tender=tender_id,
            vendor=actor.vendor_id,
            ref=secrets.token_hex(12),
            state="active",
            received_at=received_at,
            submitted_by=actor.username,
            digest=digest,
            sealed=base64.b64encode(sealed).decode(),
            file_count=len(uploads),
        )
        await bid.save()
        for position, blob in enumerate(blobs):
            # No uploader on the stored blob: the file store must not tell who bid.
            stored = await files.store(Upload("sealed-bid-file", blob), None)
            await BidFile(bid=bid.id, stored_file=stored, position=position).save()
        await audit.record(
            common.SEALED_BIDDER,
            "bid",
            bid.id,
            "submit",
            None,
            {
                "tender": row["reference"],
                "bidder": bidder,
                "received_at": received_at,
                "digest": digest,
                "files": len(uploads),
                "replaces": [p["id"] for p in previous],
            },
        )
    return {
        "bid_id": bid.id,  # for the hospital's side; vendor_receipt leaves it out
        "ref": bid.ref,
        "tender_id": tender_id,
        "tender_reference": row["reference"],
        "received_at": received_at,
        "received_at_local": common.local(received_at),
        "digest": digest,
        "replaces": [p["id"] for p in previous],
        "replaces_refs": [p["ref"] for p in previous],
        "content": content,
    }


def vendor_receipt(receipt: dict) -> dict:
    """A submission's receipt as the vendor gets it: its bids named by their references only."""
    shown = {k: v for k, v in receipt.items() if k not in ("bid_id", "replaces", "replaces_refs")}
    return {**shown, "replaces": receipt["replaces_refs"]}


def vendor_view(row: dict) -> dict:
    """A bid as its vendor sees it: by reference, never by database id."""
    view = common.bid_view(row, opened=row["price"] is not None)
    del view["id"]
    view["ref"] = row["ref"]
    return view


async def withdraw_bid(actor: Principal, tender_id: int) -> None:
    if not actor.is_vendor:
        raise Forbidden(_("Only vendor users withdraw bids."))
    async with db.transaction():
        row = await common.tender_row(tender_id, lock=True)
        latest = await (
            Bid.select(Bid.id, Bid.state)
            .where((Bid.tender == tender_id) & (Bid.vendor == actor.vendor_id))
            .order_by(Bid.id, ascending=False)
            .first()
        )
        if latest is None:  # a tender it never bid on: nothing to learn about it here
            raise NotFound(N_("tender"), tender_id)
        if row["status"] != Status.published or common.now() >= row["bid_deadline"]:
            raise Conflict(_("Bid deadline: a bid can be withdrawn only before the deadline."))
        if latest is not None and latest["state"] == "withdrawn":
            return  # withdrawn already (a repeated request): the same result
        active = [latest] if latest is not None and latest["state"] == "active" else []
        if not active:
            raise NotFound(N_("active bid of your company on tender"), tender_id)
        await Bid.update({Bid.state: "withdrawn"}).where(Bid.id == active[0]["id"])
        await audit.record(
            common.SEALED_BIDDER,
            "bid",
            active[0]["id"],
            "withdraw",
            {"state": "active"},
            {
                "state": "withdrawn",
                "bidder": common.seal_bidder(common.tender_key(row), row, actor),
            },
        )


MY_BID_SORTS = {"received_at": Bid.received_at}


async def my_bid_page(actor: Principal, *, request: PageRequest = PageRequest()) -> Page:
    """A page of the vendor's submissions, newest first, with their tenders."""
    if not actor.is_vendor:
        raise Forbidden(_("Only vendor users have bids."))
    page = await paging.fetch_page(
        Bid,
        Bid.select(
            Bid.all_columns(),
            Bid.tender.reference.as_alias("tender_reference"),
            Bid.tender.title.as_alias("tender_title"),
            Bid.tender.status.as_alias("tender_status"),
            Bid.tender.awarded_bid.as_alias("awarded_bid"),
        ),
        [Bid.vendor == actor.vendor_id],
        request,
        MY_BID_SORTS,
        [(Bid.received_at, False)],
    )
    result = []
    for row in page.items:
        view = vendor_view(row)
        view.update(
            tender_reference=row["tender_reference"],
            tender_title=row["tender_title"],
            tender_status=row["tender_status"],
            won=row["awarded_bid"] == row["id"],
        )
        result.append(view)
    page.items = result
    return page


async def receipt(principal: Principal, ref: str) -> dict:
    """The receipt of one of the vendor's bids, by its reference; any other is a 404."""
    row = (
        await Bid.select(Bid.all_columns(), Bid.tender.reference.as_alias("tender_reference"))
        .where(Bid.ref == ref)
        .first()
    )
    if row is None or not ref or not principal.is_vendor or row["vendor"] != principal.vendor_id:
        raise NotFound(N_("bid"), ref)
    view = vendor_view(row)
    view["tender_reference"] = row["tender_reference"]
    view["files"] = []
    if row["price"] is not None and row["state"] == "active":  # opened: its files to download
        view["files"] = common.file_names(row, await common.tender_row(row["tender"]))
    return view


async def own_bid_file(principal: Principal, ref: str, position: int) -> tuple[str, bytes]:
    """One of the vendor's own proposal files, by the bid's opaque reference (never a database
    id): from opening on, as for everyone (until then the bid is sealed, its vendor's too).
    Another vendor's reference, or any reference for anyone but a vendor, is a 404."""
    row = await Bid.select(Bid.id, Bid.vendor).where(Bid.ref == ref).first() if ref else None
    if row is None or not principal.is_vendor or row["vendor"] != principal.vendor_id:
        raise NotFound(N_("bid"), ref)
    try:
        return await bid_file(principal, row["id"], position)
    except NotFound:
        raise NotFound(N_("bid file"), f"{ref}/{position}") from None


async def bid_file(principal: Principal, bid_id: int, position: int) -> tuple[str, bytes]:
    """A technical-proposal file, readable only once its tender was opened: staff, panel
    members who declared no conflict, and the bidding vendor."""
    bid = await Bid.select().where(Bid.id == bid_id).first()
    if bid is None:
        raise NotFound(N_("bid"), bid_id)
    tender = await common.tender_row(bid["tender"])
    if principal.is_vendor and bid["vendor"] != principal.vendor_id:
        raise NotFound(N_("bid"), bid_id)
    await bids(principal, bid["tender"])  # the same access rule as the bid list
    if tender["opened_at"] is None:
        raise Forbidden(_("Bids are sealed until the bid opening."))
    if bid["state"] != "active":
        raise NotFound(N_("opened bid"), bid_id)  # a replaced or withdrawn bid is never opened
    try:
        content = common.open_envelope(tender, bid)
        if not 0 <= position < len(content["files"]):
            raise NotFound(N_("bid file"), position)
        stored = (
            await BidFile.select()
            .where((BidFile.bid == bid_id) & (BidFile.position == position))
            .first()
        )
        if stored is None:
            raise NotFound(N_("bid file"), position)
        blob = (await files.content(stored["stored_file"])).path.read_bytes()
        data = sealing.decrypt(
            common.tender_key(tender), blob, common.file_context(tender, content["salt"], position)
        )
    except sealing.SealBroken:
        raise Conflict(
            _("This bid's sealed content does not match its digest; see the bid opening's record.")
        ) from None
    return content["files"][position]["name"], data
