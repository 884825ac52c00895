from pathlib import Path

from piccolo.conf.apps import AppConfig

from vendorgov.sla.tables import ClauseResult, MonthMeasure, ServiceEvent, SurveyResponse

APP_CONFIG = AppConfig(
    app_name="sla",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[ServiceEvent, SurveyResponse, ClauseResult, MonthMeasure],
    migration_dependencies=["vendorgov.contracts.piccolo_app"],
)
