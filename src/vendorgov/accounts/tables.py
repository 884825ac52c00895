from piccolo.apps.user.tables import BaseUser
from piccolo.columns import ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from vendorgov.vendors.tables import Vendor


class Account(Table):
    """The vendorgov side of a Piccolo user: role, and for vendor users their vendor."""

    user = ForeignKey(BaseUser, unique=True, on_delete=OnDelete.cascade)
    role = Varchar(length=20, index=True)
    display_name = Varchar(length=100)
    vendor = ForeignKey(Vendor, null=True, default=None, on_delete=OnDelete.restrict)
    # Raised when the password is reset or the account (de)activated: login sessions carry
    # the version they started with and end when it is no longer the current one.
    credentials_version = Integer(default=0)
    # The interface language the user chose (vendorgov.i18n.LOCALES); "" until they choose,
    # when the browser's Accept-Language decides (zh_CN if it names neither).
    language = Varchar(length=10, default="")


class ApiToken(Table, tablename="api_token"):
    """A personal API token. Only its SHA-256 is stored; the token is shown once."""

    user = ForeignKey(BaseUser, on_delete=OnDelete.cascade)
    name = Varchar(length=100)
    prefix = Varchar(length=16)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz()
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
