from pathlib import Path

from piccolo.conf.apps import AppConfig

from vendorgov.inspections.tables import ChecklistTemplate, Inspection

APP_CONFIG = AppConfig(
    app_name="inspections",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[ChecklistTemplate, Inspection],
    migration_dependencies=["vendorgov.contracts.piccolo_app"],
)
