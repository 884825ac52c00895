"""Status changes, expiry flags and input rules for vendors (domain rules §2)."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vendorgov.errors import InvalidInput
from vendorgov.vendors.rules import (
    ContactInput,
    Expiry,
    QualificationInput,
    Status,
    StatusAction,
    VendorInput,
    contact_errors,
    effective_status,
    qualification_errors,
    qualification_expiry,
    status_change,
    vendor_errors,
)

TODAY = date(2026, 11, 23)


def rules_broken(collector):
    return {(e.field, e.rule) for e in collector.errors}


def test_suspend_needs_reason_and_future_end():
    assert (
        status_change(
            Status.active, StatusAction.suspend, "failed hygiene check", TODAY + timedelta(1), TODAY
        )
        is Status.suspended
    )
    with pytest.raises(InvalidInput) as caught:
        status_change(Status.active, StatusAction.suspend, "", TODAY, TODAY)
    assert {(e.field, e.rule) for e in caught.value.errors} == {
        ("reason", "required"),
        ("until", "future"),
    }


def test_blacklist_and_reinstate_paths():
    reason = "falsified attendance records"
    assert status_change(Status.suspended, StatusAction.blacklist, reason, None, TODAY) is (
        Status.blacklisted
    )
    assert status_change(Status.blacklisted, StatusAction.reinstate, reason, None, TODAY) is (
        Status.active
    )
    with pytest.raises(InvalidInput) as caught:
        status_change(Status.active, StatusAction.reinstate, reason, None, TODAY)
    assert caught.value.errors[0].rule == "transition"
    with pytest.raises(InvalidInput) as caught:
        status_change(Status.active, StatusAction.blacklist, reason, TODAY, TODAY)
    assert caught.value.errors[0].field == "until"


def test_suspension_lapses_after_its_end_date():
    until = TODAY
    assert effective_status(Status.suspended, until, TODAY) is Status.suspended
    assert effective_status(Status.suspended, until, TODAY + timedelta(1)) is Status.active
    assert effective_status(Status.blacklisted, None, TODAY) is Status.blacklisted


@pytest.mark.parametrize(
    "days,expected",
    [
        (-1, Expiry.expired),
        (0, Expiry.expiring),
        (60, Expiry.expiring),
        (61, Expiry.valid),
    ],
)
def test_expiry_window_boundaries(days, expected):
    assert qualification_expiry(TODAY + timedelta(days), TODAY, 60) is expected


@given(st.integers(-1000, 1000), st.integers(0, 365))
def test_expiry_is_monotonic_in_days_left(days, window):
    state = qualification_expiry(TODAY + timedelta(days), TODAY, window)
    if days < 0:
        assert state is Expiry.expired
    elif days <= window:
        assert state is Expiry.expiring
    else:
        assert state is Expiry.valid


def test_vendor_input_lists_every_broken_rule():
    data = VendorInput(
        name="", uscc="91440300192203821X", categories=["gardening"], email="not-mail", phone="?"
    ).cleaned()
    assert rules_broken(vendor_errors(data)) == {
        ("name", "required"),
        ("uscc", "uscc_check"),
        ("categories", "unknown_category"),
        ("email", "format"),
        ("phone", "format"),
    }


def test_vendor_input_cleaning_normalises():
    data = VendorInput(
        name=" 华为 ",
        uscc="9144 0300 1922 0382 16",
        categories=["security", "cleaning", "security"],
    ).cleaned()
    assert data.name == "华为" and data.uscc == "914403001922038216"
    assert data.categories == ["cleaning", "security"]
    assert vendor_errors(data).errors == []


def test_qualification_expiry_must_follow_issue():
    data = QualificationInput(
        kind="security_service_permit",
        number="鄂公保服 2024-001",
        issued_on=TODAY,
        expires_on=TODAY - timedelta(days=1),
    )
    assert rules_broken(qualification_errors(data)) == {("expires_on", "after_issue")}
    data = QualificationInput(kind="driving_licence", number="", issued_on=None, expires_on=None)
    assert rules_broken(qualification_errors(data)) == {
        ("kind", "unknown_kind"),
        ("number", "required"),
        ("issued_on", "required"),
        ("expires_on", "required"),
    }


def test_contact_needs_a_way_to_reach_them():
    assert rules_broken(contact_errors(ContactInput(name="刘芳"))) == {("phone", "required")}
    assert contact_errors(ContactInput(name="刘芳", phone="138 0710 2231")).errors == []
