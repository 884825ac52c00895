"""Vendor rules with no I/O: USCC check digits, categories, qualifications, status changes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from vendorgov.errors import Collector
from vendorgov.i18n import N_, _

# GB 32100-2015: the 31 characters a USCC may use, and the weights of its first 17.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def normalise_uscc(raw: str) -> str:
    """Codes are printed in upper case, often with spaces; compare them without."""
    return re.sub(r"\s+", "", raw or "").upper()


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Why a (normalised) code is not a valid USCC, for the person who typed it (the field's
    name, the rule, what to do), or None when it is valid."""
    if len(code) != 18:
        return _(
            "Unified social credit code: it has 18 characters, this one has %(count)s; "
            "please check the code.",
            count=len(code),
        )
    bad = sorted({ch for ch in code if ch not in USCC_ALPHABET})
    if bad:
        return _(
            "Unified social credit code: %(bad)s cannot appear in it (only digits and the "
            "letters A–H, J–N, P, Q, R, T, U, W, X, Y); please check the code.",
            bad=" ".join(bad),
        )
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        return _(
            "Unified social credit code: the check character should be %(expected)s, not "
            "%(given)s; please check the code.",
            expected=expected,
            given=code[17],
        )
    return None


class Category(StrEnum):
    cleaning = "cleaning"
    security = "security"
    catering = "catering"
    porter = "porter"
    caregiving = "caregiving"
    laundry = "laundry"
    elevator = "elevator"
    hvac = "hvac"


CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    Category.cleaning: (N_("Cleaning"), "保洁"),
    Category.security: (N_("Security"), "安保"),
    Category.catering: (N_("Catering"), "餐饮"),
    Category.porter: (N_("Porters and deliveries"), "运送"),
    Category.caregiving: (N_("Caregiving"), "护工陪护"),
    Category.laundry: (N_("Laundry"), "医用织物洗涤"),
    Category.elevator: (N_("Elevator maintenance"), "电梯维保"),
    Category.hvac: (N_("HVAC maintenance"), "暖通空调维保"),
}

QUALIFICATION_KINDS: dict[str, tuple[str, str]] = {
    "business_licence": (N_("Business licence"), "营业执照"),
    "security_service_permit": (N_("Security service permit"), "保安服务许可证"),
    "food_business_licence": (N_("Food business licence"), "食品经营许可证"),
    "special_equipment_licence": (
        N_("Special equipment (elevator) maintenance licence"),
        "特种设备安装改造修理许可证",
    ),
    "refrigeration_service_cert": (
        N_("Refrigeration and HVAC service certificate"),
        "制冷空调设备维修资质证书",
    ),
    "linen_hygiene_permit": (
        N_("Medical linen washing hygiene permit"),
        "医用织物洗涤消毒卫生许可",
    ),
    "caregiver_training_cert": (
        N_("Medical caregiver training certificate"),
        "医疗护理员培训合格证明",
    ),
    "iso9001": (N_("ISO 9001 quality management"), "质量管理体系认证证书"),
    "iso14001": (N_("ISO 14001 environmental management"), "环境管理体系认证证书"),
    "iso45001": (N_("ISO 45001 occupational health and safety"), "职业健康安全管理体系认证证书"),
}


class Status(StrEnum):
    active = "active"
    suspended = "suspended"
    blacklisted = "blacklisted"


class StatusAction(StrEnum):
    suspend = "suspend"
    blacklist = "blacklist"
    reinstate = "reinstate"


_ALLOWED_FROM: dict[StatusAction, tuple[Status, ...]] = {
    StatusAction.suspend: (Status.active, Status.suspended),
    StatusAction.blacklist: (Status.active, Status.suspended),
    StatusAction.reinstate: (Status.suspended, Status.blacklisted),
}
_RESULT: dict[StatusAction, Status] = {
    StatusAction.suspend: Status.suspended,
    StatusAction.blacklist: Status.blacklisted,
    StatusAction.reinstate: Status.active,
}

# Why a move is refused from the one status it is not allowed from.
_REFUSED_MOVES: dict[StatusAction, str] = {
    StatusAction.suspend: N_(
        "Action: a blacklisted vendor cannot be suspended; reinstate it first."
    ),
    StatusAction.blacklist: N_("Action: the vendor is blacklisted already."),
    StatusAction.reinstate: N_(
        "Action: the vendor is active already; there is nothing to reinstate."
    ),
}


def status_change(
    current: Status, action: StatusAction, reason: str, until: date | None, today: date
) -> Status:
    """Check a status change and return the new status; raises InvalidInput listing every
    broken rule. The caller reports a disallowed transition as a conflict."""
    errors = Collector()
    if current not in _ALLOWED_FROM[action]:
        errors.add("action", "transition", _(_REFUSED_MOVES[action]))
    if len(reason.strip()) < 5:
        errors.add("reason", "required", _("Reason: say why, in at least 5 characters."))
    if action is StatusAction.suspend:
        if until is None:
            errors.add("until", "required", _("Suspended until: a suspension needs an end date."))
        elif until <= today:
            errors.add(
                "until", "future", _("Suspended until: the suspension must end after today.")
            )
    elif until is not None:
        errors.add(
            "until",
            "only_for_suspend",
            _("Suspended until: only a suspension has an end date; leave it empty."),
        )
    errors.raise_if_any()
    return _RESULT[action]


def effective_status(status: Status, suspended_until: date | None, today: date) -> Status:
    """A suspension ends by itself after its until-date."""
    if status is Status.suspended and suspended_until is not None and suspended_until < today:
        return Status.active
    return status


class Expiry(StrEnum):
    valid = "valid"
    expiring = "expiring"
    expired = "expired"


def qualification_expiry(expires_on: date, today: date, warning_days: int = 60) -> Expiry:
    if expires_on < today:
        return Expiry.expired
    if expires_on <= today + timedelta(days=warning_days):
        return Expiry.expiring
    return Expiry.valid


EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^[0-9+()\- ]{5,30}$")
BANK_ACCOUNT_RE = re.compile(r"[0-9]{8,30}")


@dataclass
class VendorInput:
    """What a procurement officer fills in for a vendor (§2)."""

    name: str
    uscc: str
    categories: list[str] = field(default_factory=list)
    legal_representative: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    bank_name: str = ""
    bank_account: str = ""

    def cleaned(self) -> VendorInput:
        return VendorInput(
            name=self.name.strip(),
            uscc=normalise_uscc(self.uscc),
            categories=sorted(set(self.categories)),
            legal_representative=self.legal_representative.strip(),
            address=self.address.strip(),
            phone=self.phone.strip(),
            email=self.email.strip(),
            bank_name=self.bank_name.strip(),
            # Banks print account numbers in groups of four: the spaces are not part of it.
            bank_account=re.sub(r"[\s-]", "", self.bank_account),
        )


def vendor_errors(data: VendorInput) -> Collector:
    """Every rule a (cleaned) vendor submission breaks."""
    errors = Collector()
    if not data.name:
        errors.add("name", "required", _("Company name: required; enter the registered name."))
    elif len(data.name) > 200:
        errors.add("name", "max_length", _("Company name: at most 200 characters."))
    problem = uscc_problem(data.uscc)
    if problem:
        errors.add("uscc", "uscc_check", problem)
    if not data.categories:
        errors.add(
            "categories", "required", _("Service categories: choose at least one service category.")
        )
    unknown = [c for c in data.categories if c not in CATEGORY_LABELS]
    if unknown:
        errors.add(
            "categories",
            "unknown_category",
            _(
                "Service categories: %(unknown)s is not one of ours; choose from the list.",
                unknown=", ".join(unknown),
            ),
        )
    _contact_format_errors(errors, data.phone, data.email)
    if data.bank_account and not BANK_ACCOUNT_RE.fullmatch(data.bank_account):
        errors.add(
            "bank_account", "format", _("Bank account: 8 to 30 digits; spaces may separate them.")
        )
    if data.bank_account and not data.bank_name:
        errors.add("bank_name", "required", _("Bank: name the bank that holds the account."))
    for name, label, limit in (
        ("legal_representative", N_("Legal representative"), 100),
        ("address", N_("Address"), 300),
        ("bank_name", N_("Bank"), 100),
    ):
        if len(getattr(data, name)) > limit:
            errors.add(
                name,
                "max_length",
                _("%(label)s: at most %(limit)s characters.", label=_(label), limit=limit),
            )
    return errors


def _contact_format_errors(errors: Collector, phone: str, email: str) -> None:
    if email and not EMAIL_RE.match(email.strip()):
        errors.add("email", "format", _("E-mail: not an address like name@example.com."))
    if phone and not PHONE_RE.match(phone.strip()):
        errors.add("phone", "format", _("Phone: use digits, spaces, +, - and parentheses only."))


@dataclass
class ContactInput:
    name: str
    title: str = ""
    phone: str = ""
    email: str = ""
    is_primary: bool = False


def contact_errors(data: ContactInput) -> Collector:
    errors = Collector()
    if not data.name.strip():
        errors.add("name", "required", _("Contact name: required."))
    _contact_format_errors(errors, data.phone, data.email)
    if not (data.phone.strip() or data.email.strip()):
        errors.add("phone", "required", _("Phone: give a phone number or an e-mail address."))
    return errors


@dataclass
class QualificationInput:
    kind: str
    number: str
    issued_on: date | None
    expires_on: date | None


def qualification_errors(data: QualificationInput) -> Collector:
    errors = Collector()
    if data.kind not in QUALIFICATION_KINDS:
        errors.add(
            "kind",
            "unknown_kind",
            _(
                "Qualification type: %(kind)s is not one of ours; choose from the list.",
                kind=data.kind,
            ),
        )
    if not data.number.strip():
        errors.add("number", "required", _("Certificate number: required."))
    if data.issued_on is None:
        errors.add("issued_on", "required", _("Issue date: required (YYYY-MM-DD)."))
    if data.expires_on is None:
        errors.add("expires_on", "required", _("Expiry date: required (YYYY-MM-DD)."))
    if data.issued_on and data.expires_on and data.expires_on <= data.issued_on:
        errors.add(
            "expires_on",
            "after_issue",
            _("Expiry date: must be after the issue date; check both dates."),
        )
    return errors


# --- small and micro enterprises (§3a) -------------------------------------------------------


class SmeSize(StrEnum):
    small = "small"
    micro = "micro"


SME_LABELS: dict[str, tuple[str, str]] = {
    SmeSize.small: (N_("Small enterprise"), "小型企业"),
    SmeSize.micro: (N_("Micro enterprise"), "微型企业"),
}
MIN_SME_EVIDENCE = 10


def sme_errors(size: str, evidence: str) -> Collector:
    """A declaration: small or micro with its evidence (e.g. headcount, turnover, the
    中小企业声明函), or "" to withdraw one."""
    errors = Collector()
    if size and size not in SME_LABELS:
        errors.add("sme_size", "one_of", f"one of: none, {', '.join(SME_LABELS)}")
    if size and len(evidence.strip()) < MIN_SME_EVIDENCE:
        errors.add(
            "sme_evidence",
            "required",
            f"give the evidence (at least {MIN_SME_EVIDENCE} characters): headcount, "
            "turnover, the SME declaration letter",
        )
    if len(evidence) > 2000:
        errors.add("sme_evidence", "length", "at most 2000 characters")
    return errors
