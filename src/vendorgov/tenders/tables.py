from decimal import Decimal

from piccolo.columns import (
    UUID,
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

from vendorgov.vendors.tables import Vendor


class Tender(Table):
    reference = Varchar(length=40, unique=True)
    title = Varchar(length=200)
    category = Varchar(length=30, index=True)
    method = Varchar(length=20)
    evaluation_method = Varchar(length=20)
    budget_ceiling = Numeric(digits=(14, 2))
    # The service term of the contract an award creates; bids price the whole term.
    service_start = Date()
    service_end = Date()
    scope = Text(default="")
    qualification_types = Text(default="[]")  # JSON list of qualification kinds
    criteria = Text(default="[]")  # JSON [{key, name, weight}]
    sla_template = Text()  # JSON: contracts.rules.to_plain(Terms) for the future contract
    documents = Text(default="[]")  # JSON [{file_id, filename}]: the published tender documents
    bid_deadline = Timestamptz(index=True)
    status = Varchar(length=20, default="draft", index=True)
    # The tender key, wrapped under the installation key until opening (see sealing.py) ...
    sealed_key = Text()
    # ... and in clear once opening released it.
    released_key = Text(default="")
    created_at = Timestamptz()
    created_by = Varchar(length=150)
    updated_at = Timestamptz()
    published_at = Timestamptz(null=True, default=None)
    opened_at = Timestamptz(null=True, default=None)
    opened_by = Varchar(length=150, default="")
    evaluated_at = Timestamptz(null=True, default=None)
    closed_reason = Text(default="")  # why it failed or was cancelled
    awarded_bid = Integer(null=True, default=None)
    award_reason = Text(default="")
    awarded_at = Timestamptz(null=True, default=None)
    awarded_by = Varchar(length=150, default="")
    contract_id = Integer(null=True, default=None)
    # Bid security (投标保证金, §3a) each bidder deposits: at most 2% of the ceiling; 0 = none.
    bid_security = Numeric(digits=(14, 2), default=Decimal(0))
    # §3: how candidates tied on total and price are ordered, stated at publication ("" none:
    # a random draw), and the draw's seed once made (recorded in the audit trail).
    tie_rule = Varchar(length=12, default="")
    tie_seed = Varchar(length=64, default="")
    # §3a: small and micro enterprises' price deduction for the price score, percent.
    sme_percent = Numeric(digits=(5, 2), default=Decimal(10))


class Bid(Table):
    """One submission. A vendor's newer submission replaces its earlier one; a withdrawal ends
    it. Only the vendor's latest active submission is opened."""

    tender = ForeignKey(Tender, on_delete=OnDelete.restrict, index=True)
    vendor = ForeignKey(Vendor, on_delete=OnDelete.restrict)
    # What the vendor knows its bid by (receipts, URLs, API): random, unique (index bid_ref),
    # unlike the consecutive id whose gaps would show other submissions.
    ref = Varchar(length=32, default="")
    state = Varchar(length=12, default="active")  # active, replaced, withdrawn
    received_at = Timestamptz()
    submitted_by = Varchar(length=150)
    digest = Varchar(length=64)
    sealed = Text()  # base64 AES-GCM of the content: price, lines, files, salt
    file_count = Integer(default=0)
    # Filled in at opening, never before.
    price = Numeric(digits=(14, 2), null=True, default=None)
    digest_ok = Boolean(null=True, default=None)
    invalid_reasons = Text(default="[]")  # JSON list, empty when valid
    compliance = Varchar(length=16, default="")  # "", compliant, non_compliant
    compliance_reason = Text(default="")
    abnormally_low = Boolean(default=False)
    low_decision = Varchar(length=16, default="")  # "", accepted, rejected
    low_reason = Text(default="")
    # Snapshots taken at opening (§3a): the vendor's small/micro enterprise declaration ("" not
    # one) and its mean monthly score over the last 12 approved months (None: no history).
    sme_size = Varchar(length=8, default="")
    past_score = Numeric(digits=(6, 2), null=True, default=None)
    past_months = Integer(default=0)


class BidFile(Table, tablename="bid_file"):
    """A technical-proposal file, stored encrypted under the tender key."""

    bid = ForeignKey(Bid, on_delete=OnDelete.cascade, index=True)
    stored_file = UUID()  # the ciphertext in the file store
    position = Integer()


class PanelMember(Table, tablename="panel_member"):
    tender = ForeignKey(Tender, on_delete=OnDelete.restrict, index=True)
    evaluator = Integer()  # account id
    username = Varchar(length=150)
    display_name = Varchar(length=200)
    assigned_at = Timestamptz()
    declared_at = Timestamptz(null=True, default=None)
    conflict = Boolean(default=False)
    conflict_note = Text(default="")
    submitted_at = Timestamptz(null=True, default=None)
    # §3: an expert (drawn from the category's pool) or a purchaser representative (appointed).
    role = Varchar(length=16, default="expert")
    # A member's dissenting opinion, recorded with the submitted scores; the report prints it.
    dissent = Text(default="")


class ExpertPoolEntry(Table, tablename="expert_pool_entry"):
    """An evaluator account in a service category's expert pool (§3), which the random draw
    chooses experts from; one row per category and account (index expert_pool_category_account).
    An account may be in several categories' pools."""

    category = Varchar(length=30, index=True)
    evaluator = Integer()  # account id
    active = Boolean(default=True)
    added_by = Varchar(length=150)
    added_at = Timestamptz()
    changed_at = Timestamptz()


class PanelDraw(Table, tablename="panel_draw"):
    """A random draw of experts for a tender (§3), reproducible from its seed: the pool and
    the excluded accounts as they were, who was drawn, and for a replacement whom it replaces
    and why. The first draw of a tender has replaces = None (index panel_draw_first)."""

    tender = ForeignKey(Tender, on_delete=OnDelete.restrict, index=True)
    seed = Varchar(length=64)
    pool = Text()  # JSON: the eligible pool's account ids, ascending
    excluded = Text(default="[]")  # JSON: account ids left out, each with why
    drawn = Text()  # JSON: account ids in the order drawn
    replaces = Integer(null=True, default=None)  # the panel member (id) replaced
    reason = Text(default="")
    drawn_by = Varchar(length=150)
    drawn_at = Timestamptz()


class Score(Table):
    member = ForeignKey(PanelMember, on_delete=OnDelete.cascade, index=True)
    bid = ForeignKey(Bid, on_delete=OnDelete.restrict)
    criterion = Varchar(length=40)
    score = Numeric(digits=(5, 2))
    comment = Text(default="")


class Invitation(Table):
    """A vendor invited to an invited tender (§3a), with the officer's reason for choosing it;
    unique per tender and vendor (index invitation_tender_vendor)."""

    tender = ForeignKey(Tender, on_delete=OnDelete.restrict, index=True)
    vendor = ForeignKey(Vendor, on_delete=OnDelete.restrict)
    reason = Text()
    invited_by = Varchar(length=150)
    invited_at = Timestamptz()


class Clarification(Table):
    """A bidder's question and the officer's answer, or a clarification the officer publishes
    unasked (§3a). Published answers go to every bidder without naming who asked: the asking
    vendor is kept only to show it its own pending questions."""

    tender = ForeignKey(Tender, on_delete=OnDelete.restrict, index=True)
    question = Text(default="")
    asked_by_vendor = Integer(null=True, default=None)
    asked_at = Timestamptz(null=True, default=None)
    answer = Text(default="")
    answered_by = Varchar(length=150, default="")
    published_at = Timestamptz(null=True, default=None)


class ResultNotice(Table, tablename="result_notice"):
    """The result notice (中标结果公告, §3a) as published: what it said is kept as published.
    Its publication is also the award notice's (中标通知书) issue to the winner. When the
    winner will not sign, the notice is withdrawn (kept, with why) and the next award publishes
    a corrected one: at most one in force per tender (partial index
    result_notice_one_per_tender)."""

    tender = ForeignKey(Tender, on_delete=OnDelete.restrict, index=True)
    published_at = Timestamptz()
    published_by = Varchar(length=150)
    content = Text()  # JSON: winner, price, candidates, panel, dates (results.notice_content)
    withdrawn_at = Timestamptz(null=True, default=None)
    withdrawn_reason = Text(default="")


class Challenge(Table):
    """A bidder's challenge (质疑, §3a) of the result, filed within 7 working days of the
    result notice and answered by the officer within 7 working days; while one is open the
    contract the award created cannot be signed."""

    tender = ForeignKey(Tender, on_delete=OnDelete.restrict, index=True)
    vendor = ForeignKey(Vendor, on_delete=OnDelete.restrict)
    grounds = Text()
    filed_at = Timestamptz()
    filed_by = Varchar(length=150)
    answer_due = Date()
    status = Varchar(length=10, default="open", index=True)  # open, answered
    answer = Text(default="")
    answered_at = Timestamptz(null=True, default=None)
    answered_by = Varchar(length=150, default="")


class BidSecurity(Table, tablename="bid_security"):
    """One bidder's bid security (投标保证金, §3a): received, then refunded within 5 working
    days of the award notice (the winner's: of signing the contract). One per tender and
    vendor (index bid_security_tender_vendor)."""

    tender = ForeignKey(Tender, on_delete=OnDelete.restrict, index=True)
    vendor = ForeignKey(Vendor, on_delete=OnDelete.restrict)
    amount = Numeric(digits=(14, 2))
    received_on = Date()
    received_ref = Varchar(length=100)
    recorded_by = Varchar(length=150)
    recorded_at = Timestamptz()
    # Known once the award notice is issued (losers) or the contract signed (winner).
    refund_due = Date(null=True, default=None, index=True)
    refunded_on = Date(null=True, default=None)
    refund_ref = Varchar(length=100, default="")
    refunded_by = Varchar(length=150, default="")
    refunded_at = Timestamptz(null=True, default=None)


class PassedOver(Table, tablename="passed_over"):
    """A candidate passed over before the next one is awarded (Order 87 Art. 68): the ground
    (declined, failed to sign, found ineligible) and its evidence; unique per tender and bid
    (index passed_over_tender_bid)."""

    tender = ForeignKey(Tender, on_delete=OnDelete.restrict, index=True)
    bid = ForeignKey(Bid, on_delete=OnDelete.restrict)
    position = Integer()  # the candidate's number, 1–3
    ground = Varchar(length=20)
    evidence = Text()
    recorded_by = Varchar(length=150)
    recorded_at = Timestamptz()
