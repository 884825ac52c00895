from pathlib import Path

from piccolo.conf.apps import AppConfig

from vendorgov.workdays.tables import CalendarDay, CalendarYear

APP_CONFIG = AppConfig(
    app_name="workdays",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[CalendarDay, CalendarYear],
    migration_dependencies=[],
)
