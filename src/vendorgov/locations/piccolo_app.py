from pathlib import Path

from piccolo.conf.apps import AppConfig

from vendorgov.locations.tables import Location

APP_CONFIG = AppConfig(
    app_name="locations",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Location],
    migration_dependencies=[],
)
