"""Inspections say where (the place's id in the location tree, §8), and inspection plans: a
contract's comprehensive inspection and spot checks of a month, with the seed they were drawn
from."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import Date, ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Contract(Table, tablename="contract", schema=None):
    id = Serial(null=False, primary_key=True, db_column_name="id")


class InspectionPlan(Table, tablename="inspection_plan", schema=None):
    id = Serial(null=False, primary_key=True, db_column_name="id")


ID = "2026-12-01T13:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "plans_and_places"


def _params(**overrides):
    return {
        "default": None,
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **overrides,
    }


def _foreign(references, on_delete):
    return _params(
        references=references,
        on_delete=on_delete,
        on_update=OnUpdate.cascade,
        target_column=None,
        null=True,
    )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="inspections", description=DESCRIPTION)
    manager.add_table(
        class_name="InspectionPlan", tablename="inspection_plan", schema=None, columns=None
    )
    manager.add_table(
        class_name="PlanItem", tablename="inspection_plan_item", schema=None, columns=None
    )
    columns = [
        ("Inspection", "inspection", "location_id", Integer, _params(null=True, index=True)),
        (
            "InspectionPlan",
            "inspection_plan",
            "contract",
            ForeignKey,
            _foreign(Contract, OnDelete.restrict),
        ),
        ("InspectionPlan", "inspection_plan", "month", Varchar, _params(length=7, default="")),
        ("InspectionPlan", "inspection_plan", "seed", Varchar, _params(length=32, default="")),
        ("InspectionPlan", "inspection_plan", "spot_checks", Integer, _params(default=0)),
        (
            "InspectionPlan",
            "inspection_plan",
            "created_by",
            Varchar,
            _params(length=150, default=""),
        ),
        (
            "InspectionPlan",
            "inspection_plan",
            "created_at",
            Timestamptz,
            _params(default=TimestamptzNow()),
        ),
        (
            "PlanItem",
            "inspection_plan_item",
            "plan",
            ForeignKey,
            _foreign(InspectionPlan, OnDelete.cascade),
        ),
        ("PlanItem", "inspection_plan_item", "kind", Varchar, _params(length=20, default="")),
        ("PlanItem", "inspection_plan_item", "due_on", Date, _params(default=None, index=True)),
        ("PlanItem", "inspection_plan_item", "location_id", Integer, _params(null=True)),
        (
            "PlanItem",
            "inspection_plan_item",
            "assignee_id",
            Integer,
            _params(null=True, index=True),
        ),
        ("PlanItem", "inspection_plan_item", "assignee", Varchar, _params(length=150, default="")),
        (
            "PlanItem",
            "inspection_plan_item",
            "status",
            Varchar,
            _params(length=10, default="pending"),
        ),
        ("PlanItem", "inspection_plan_item", "inspection_id", Integer, _params(null=True)),
    ]
    for class_name, tablename, name, column_class, params in columns:
        manager.add_column(
            table_class_name=class_name,
            tablename=tablename,
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )

    return manager
