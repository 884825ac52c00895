from piccolo.columns import Boolean, Integer, Timestamptz, Varchar
from piccolo.table import Table


class Location(Table, tablename="location"):
    """One place of the tree campus (院区) → building → floor → area or room (§8).

    `path` is the materialised path of ids ("/3/17/52/"): a subtree is one prefix match.
    `full_name` is the names from the campus down ("本院区 门诊楼 3楼 卫生间"), kept with the
    path when a place is renamed or moved, so lists and documents need no joins."""

    parent_id = Integer(null=True, default=None, index=True)
    kind = Varchar(length=10)  # campus, building, floor, area
    name = Varchar(length=100)
    code = Varchar(length=40, unique=True)
    pinyin = Varchar(length=40, default="")  # initials to search by, e.g. mzl for 门诊楼
    path = Varchar(length=200, index=True)
    full_name = Varchar(length=420)
    active = Boolean(default=True)
    updated_at = Timestamptz()
