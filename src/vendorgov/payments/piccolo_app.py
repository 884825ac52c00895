from pathlib import Path

from piccolo.conf.apps import AppConfig

from vendorgov.payments.tables import Dispute, DisputeWaiver, PaymentRun, Statement

APP_CONFIG = AppConfig(
    app_name="payments",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[PaymentRun, Statement, Dispute, DisputeWaiver],
    migration_dependencies=["vendorgov.audits.piccolo_app"],
)
