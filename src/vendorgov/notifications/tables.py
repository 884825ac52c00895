"""The inbox, the outbox and where each person's and group's messages go."""

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import JSON, Boolean, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.table import Table


class Notification(Table):
    """An item in a user's inbox. Its words are written from `kind` and `params` when shown,
    in the reader's language; `key` (unique) makes a trigger that fires twice leave one item."""

    user = ForeignKey(BaseUser, on_delete=OnDelete.cascade)
    kind = Varchar(length=40)
    params = JSON()
    link = Varchar(length=300, default="")
    key = Varchar(length=200, unique=True)
    created_at = Timestamptz()
    read_at = Timestamptz(null=True, default=None)


class GroupRobot(Table, tablename="group_robot"):
    """A WeCom or DingTalk group robot (or a plain JSON webhook) that hears what a role's
    staff or a vendor's users hear."""

    name = Varchar(length=100)
    channel = Varchar(length=10)  # wecom, dingtalk, webhook
    url = Varchar(length=500, secret=True)  # an Apprise URL, normalised from the robot's address
    role = Varchar(length=20, null=True, default=None)
    vendor = Integer(null=True, default=None)
    active = Boolean(default=True)


class Delivery(Table):
    """The outbox: one message to one address, sent by the worker. `key` (unique) is the
    message's identity, so it is queued once; a claim (status sending, claimed_at) is taken
    with a conditional update, so one worker sends it; a claim whose worker died goes stale
    and is taken again."""

    key = Varchar(length=240, unique=True)
    user = Integer(null=True, default=None)  # the person, for personal channels
    robot = Integer(null=True, default=None)
    channel = Varchar(length=10)  # email, sms, wecom, dingtalk, webhook
    address = Varchar(length=500, secret=True)  # e-mail address, phone number or robot URL
    kind = Varchar(length=40)
    params = JSON()
    link = Varchar(length=300, default="")
    language = Varchar(length=10, default="zh_CN")
    # pending, sending, sent, failed; held (waiting for the daily digest), digested
    status = Varchar(length=10, default="pending")
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz()
    claimed_at = Timestamptz(null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)
    last_error = Varchar(length=500, default="")
    created_at = Timestamptz()


class NotificationSettings(Table, tablename="notification_settings"):
    """A person's own channels, quiet hours and digest choice."""

    user = ForeignKey(BaseUser, unique=True, on_delete=OnDelete.cascade)
    email = Varchar(length=200, default="")
    phone = Varchar(length=20, default="")
    email_on = Boolean(default=False)
    sms_on = Boolean(default=False)
    quiet_start = Varchar(length=5, default="")  # "22:00", hospital time; empty: none
    quiet_end = Varchar(length=5, default="")
    digest = Boolean(default=False)
