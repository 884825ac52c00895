from pathlib import Path

from piccolo.conf.apps import AppConfig

from vendorgov.servicedesk.tables import DeskMember, ServiceRequest, ServiceRoute

APP_CONFIG = AppConfig(
    app_name="servicedesk",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[ServiceRoute, DeskMember, ServiceRequest],
    migration_dependencies=["vendorgov.contracts.piccolo_app"],
)
