from pathlib import Path

from piccolo.conf.apps import AppConfig

from vendorgov.contracts.tables import Contract, ContractVersion

APP_CONFIG = AppConfig(
    app_name="contracts",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Contract, ContractVersion],
    migration_dependencies=["vendorgov.vendors.piccolo_app"],
)
