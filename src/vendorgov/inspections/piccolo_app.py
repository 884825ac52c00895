from pathlib import Path

from piccolo.conf.apps import AppConfig

from vendorgov.inspections.tables import (
    ChecklistTemplate,
    Inspection,
    InspectionPlan,
    PlanItem,
)

APP_CONFIG = AppConfig(
    app_name="inspections",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[ChecklistTemplate, Inspection, InspectionPlan, PlanItem],
    migration_dependencies=["vendorgov.contracts.piccolo_app"],
)
