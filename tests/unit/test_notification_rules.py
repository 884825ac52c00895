"""What a notification says, when a personal message may go out, how long a failed one waits,
and which robot addresses are accepted."""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vendorgov.i18n import using_locale
from vendorgov.notifications import rules

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _sample_params(kind: str) -> dict:
    title, body = rules.KINDS[kind]
    names = set(re.findall(r"%\((\w+)\)s", title + body))
    params = {name: f"<{name}>" for name in names}
    if kind == "digest":
        params.update(
            count=2,
            items=[
                {
                    "kind": "notice.issued",
                    "params": {"number": "ZG-1", "contract": "HT-1", "deadline": "d"},
                },
                {
                    "kind": "run.returned",
                    "params": {"month": "2026-10", "by": "王芳", "reason": "r"},
                },
            ],
        )
    if "outcome" in params:
        params["outcome"] = "upheld"
    return params


@pytest.mark.parametrize("kind", sorted(rules.KINDS))
def test_every_kind_is_worded_from_its_parameters(kind):
    params = _sample_params(kind)
    title, body = rules.words(kind, params)
    assert title and body
    for name, value in params.items():
        if isinstance(value, str) and name not in rules.WORDED_PARAMETERS:
            assert value in title + body


def test_a_missing_parameter_is_named():
    with pytest.raises(rules.MissingWords, match="number"):
        rules.words("notice.issued", {"contract": "HT-1", "deadline": "x"})


def test_the_digest_lists_each_item_by_its_title():
    title, body = rules.words("digest", _sample_params("digest"))
    assert "2" in title
    assert body.count("• ") == 2 and "ZG-1" in body and "2026-10" in body


def test_worded_parameters_follow_the_language():
    with using_locale("en"):
        _, body = rules.words(
            "dispute.ruled", {"month": "m", "contract": "c", "outcome": "upheld", "note": "n"}
        )
    assert "upheld" in body


@pytest.mark.parametrize(
    ("now", "start", "end", "expected"),
    [
        ("23:30", "22:00", "07:00", "07:00+1"),
        ("03:00", "22:00", "07:00", "07:00"),
        ("07:00", "22:00", "07:00", "07:00"),  # the quiet hours end at 07:00: send now
        ("12:00", "22:00", "07:00", "12:00"),
        ("12:30", "12:00", "14:00", "14:00"),
        ("15:00", "12:00", "14:00", "15:00"),
    ],
)
def test_release_after_quiet_hours(now, start, end, expected):
    base = datetime(2026, 12, 1, *map(int, now.split(":")), tzinfo=SHANGHAI)
    released = rules.release_at(base, rules.clock(start), rules.clock(end))
    hour, minute = map(int, expected[:5].split(":"))
    days = 1 if expected.endswith("+1") else 0
    assert released == base.replace(hour=hour, minute=minute) + timedelta(days=days)


@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)),
    st.times(),
    st.times(),
)
def test_a_release_is_never_early_never_quiet_and_within_a_day(moment, start, end):
    start, end = start.replace(second=0, microsecond=0), end.replace(second=0, microsecond=0)
    now = moment.replace(tzinfo=SHANGHAI)
    released = rules.release_at(now, start, end)
    assert now <= released < now + timedelta(days=1)
    assert released == now or not rules.in_quiet_hours(
        released.timetz().replace(tzinfo=None), start, end
    )


def test_no_quiet_hours_means_now():
    now = datetime(2026, 12, 1, 3, 0, tzinfo=SHANGHAI)
    assert rules.release_at(now, None, None) == now
    assert rules.release_at(now, time(8), time(8)) == now


@pytest.mark.parametrize("value", ["7:60", "ab:cd", "22", "22:0"])
def test_a_clock_that_is_not_a_time_is_refused(value):
    with pytest.raises(ValueError):
        rules.clock(value)


@given(st.integers(min_value=1, max_value=50))
def test_back_off_grows_and_is_bounded(attempts):
    delay = rules.retry_delay(attempts)
    assert rules.FIRST_RETRY <= delay <= rules.LONGEST_WAIT
    assert rules.retry_delay(attempts + 1) >= delay


def test_giving_up_after_the_last_attempt():
    assert not rules.gives_up(rules.MAX_ATTEMPTS - 1)
    assert rules.gives_up(rules.MAX_ATTEMPTS)


@pytest.mark.parametrize(
    ("channel", "address", "url"),
    [
        (
            "wecom",
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-123",
            "wecombot://abc-123",
        ),
        ("wecom", "wecombot://abc", "wecombot://abc"),
        ("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=t0k3n", "dingtalk://t0k3n"),
        ("dingtalk", "dingtalk://secret@t0k3n", "dingtalk://secret@t0k3n"),
        ("webhook", "https://hooks.example.cn/vendorgov", "jsons://hooks.example.cn/vendorgov"),
        ("webhook", "http://10.0.0.5:8080/in", "json://10.0.0.5:8080/in"),
    ],
)
def test_robot_addresses_become_apprise_urls(channel, address, url):
    assert rules.robot_url(channel, address) == url


@pytest.mark.parametrize(
    ("channel", "address", "rule"),
    [
        ("wecom", "https://oapi.dingtalk.com/robot/send?access_token=x", "wecom_url"),
        ("dingtalk", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "dingtalk_url"),
        ("webhook", "ftp://files.example.cn", "webhook_url"),
        ("webhook", "javascript:alert(1)", "webhook_url"),
        ("fax", "https://x.cn", "channel"),
    ],
)
def test_bad_robot_addresses_are_refused_with_their_rule(channel, address, rule):
    with pytest.raises(rules.BadAddress) as refused:
        rules.robot_url(channel, address)
    assert refused.value.rule == rule


@pytest.mark.parametrize(
    ("phone", "ok"),
    [
        ("13800138000", True),
        ("+8613800138000", True),
        ("1380013800", False),
        ("23800138000", False),
        ("1380013800a", False),
    ],
)
def test_mobile_numbers(phone, ok):
    assert rules.valid_phone(phone) is ok


def test_addresses_are_filled_into_the_channel_urls():
    assert (
        rules.email_url("mailto://smtp.example.cn?from=a@b.cn", "x@y.cn")
        == "mailto://smtp.example.cn?from=a@b.cn&to=x@y.cn"
    )
    assert (
        rules.sms_url("json://gw/sms?:to={phone}", "13800138000") == "json://gw/sms?:to=13800138000"
    )
