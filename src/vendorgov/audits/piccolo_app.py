from pathlib import Path

from piccolo.conf.apps import AppConfig

from vendorgov.audits.tables import AuditAssignment, Finding, Notice, NoticeStep

APP_CONFIG = AppConfig(
    app_name="audits",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Finding, Notice, NoticeStep, AuditAssignment],
    migration_dependencies=["vendorgov.inspections.piccolo_app"],
)
