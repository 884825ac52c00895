from pathlib import Path

from piccolo.conf.apps import AppConfig

from vendorgov.vendors.tables import Contact, Qualification, Vendor, VendorCategory

APP_CONFIG = AppConfig(
    app_name="vendors",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Vendor, VendorCategory, Contact, Qualification],
    migration_dependencies=["vendorgov.files.piccolo_app"],
)
