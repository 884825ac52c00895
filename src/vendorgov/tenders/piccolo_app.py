from pathlib import Path

from piccolo.conf.apps import AppConfig

from vendorgov.tenders.tables import (
    Bid,
    BidFile,
    BidSecurity,
    Challenge,
    Clarification,
    ExpertPoolEntry,
    Invitation,
    PanelDraw,
    PanelMember,
    PassedOver,
    ResultNotice,
    Score,
    Tender,
)

APP_CONFIG = AppConfig(
    app_name="tenders",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[
        Tender,
        Bid,
        BidFile,
        PanelMember,
        Score,
        Invitation,
        Clarification,
        ResultNotice,
        Challenge,
        BidSecurity,
        ExpertPoolEntry,
        PanelDraw,
        PassedOver,
    ],
    migration_dependencies=["vendorgov.vendors.piccolo_app", "vendorgov.files.piccolo_app"],
)
