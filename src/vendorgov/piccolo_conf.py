"""Piccolo's configuration: the engine from VENDORGOV_DATABASE_URL and the apps' migrations."""

from piccolo.conf.apps import AppRegistry

from vendorgov.db import make_engine
from vendorgov.settings import get_settings

DB = make_engine(get_settings().database_url)

APP_REGISTRY = AppRegistry(
    apps=[
        "piccolo.apps.user.piccolo_app",
        "piccolo_api.session_auth.piccolo_app",
        "vendorgov.audit.piccolo_app",
        "vendorgov.files.piccolo_app",
        "vendorgov.vendors.piccolo_app",
        "vendorgov.accounts.piccolo_app",
        "vendorgov.contracts.piccolo_app",
        "vendorgov.sla.piccolo_app",
        "vendorgov.inspections.piccolo_app",
        "vendorgov.audits.piccolo_app",
        "vendorgov.payments.piccolo_app",
        "vendorgov.tenders.piccolo_app",
        "vendorgov.locations.piccolo_app",
        "vendorgov.jobs.piccolo_app",
        "vendorgov.notifications.piccolo_app",
        "vendorgov.surveys.piccolo_app",
        "vendorgov.servicedesk.piccolo_app",
        "vendorgov.workdays.piccolo_app",
    ]
)
