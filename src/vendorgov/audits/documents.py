"""The rectification notice (整改通知单) as PDF, in Chinese and English."""

from __future__ import annotations

from vendorgov.documents import render_pdf
from vendorgov.i18n import N_
from vendorgov.settings import get_settings

STATUS_LABELS = {
    "draft": (N_("draft"), "草稿"),
    "discarded": (N_("discarded"), "已作废"),
    "issued": (N_("issued"), "已发出"),
    "acknowledged": (N_("acknowledged"), "已签收"),
    "responded": (N_("responded"), "已反馈整改"),
    "closed": (N_("closed"), "已验收关闭"),
}
SEVERITY_LABELS = {
    "minor": (N_("minor"), "一般"),
    "major": (N_("major"), "较重"),
    "critical": (N_("critical"), "严重"),
}
SOURCE_LABELS = {
    "inspection": (N_("inspection"), "日常检查"),
    "audit": (N_("third-party audit"), "第三方审计"),
    "complaint": (N_("complaint"), "投诉"),
}
STEP_LABELS = {
    "draft": (N_("drafted by the month-end"), "月度考核自动起草"),
    "redraft": (N_("redrafted: a later revision of the month"), "月度考核修订后更新草稿"),
    "discard": (N_("discarded"), "作废"),
    "issue": (N_("issued"), "发出通知"),
    "acknowledge": (N_("acknowledged"), "服务商签收"),
    "respond": (N_("responded"), "服务商反馈"),
    "verify_passed": (N_("verified: passed"), "复查合格"),
    "verify_failed": (N_("verified: failed, new deadline"), "复查不合格，重新限期"),
}


def labels() -> dict:
    return {
        "status_labels": STATUS_LABELS,
        "severity_labels": SEVERITY_LABELS,
        "source_labels": SOURCE_LABELS,
        "step_labels": STEP_LABELS,
    }


def notice_pdf(notice: dict) -> bytes:
    settings = get_settings()
    return render_pdf(
        "documents/notice.html",
        notice=notice,
        hospital=settings.hospital_name,
        zone=settings.timezone,
        **labels(),
    )
