from pathlib import Path

from piccolo.conf.apps import AppConfig

from vendorgov.accounts.tables import Account, ApiToken

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Account, ApiToken],
    migration_dependencies=["piccolo.apps.user.piccolo_app", "vendorgov.vendors.piccolo_app"],
)
