from pathlib import Path

from piccolo.conf.apps import AppConfig

from vendorgov.notifications.tables import Delivery, GroupRobot, Notification, NotificationSettings

APP_CONFIG = AppConfig(
    app_name="notifications",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Notification, GroupRobot, Delivery, NotificationSettings],
    migration_dependencies=[],
)
