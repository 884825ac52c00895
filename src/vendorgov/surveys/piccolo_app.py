from pathlib import Path

from piccolo.conf.apps import AppConfig

from vendorgov.surveys.tables import Survey, SurveyAnswer, SurveyQuota, SurveyVersion

APP_CONFIG = AppConfig(
    app_name="surveys",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Survey, SurveyVersion, SurveyQuota, SurveyAnswer],
    migration_dependencies=["vendorgov.locations.piccolo_app"],
)
