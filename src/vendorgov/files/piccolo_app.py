from pathlib import Path

from piccolo.conf.apps import AppConfig

from vendorgov.files.tables import StoredFile

APP_CONFIG = AppConfig(
    app_name="files",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[StoredFile],
)
