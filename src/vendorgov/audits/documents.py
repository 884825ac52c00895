"""The rectification notice (整改通知单) as PDF, in Chinese and English."""

from __future__ import annotations

from vendorgov.documents import render_pdf
from vendorgov.settings import get_settings

STATUS_LABELS = {
    "draft": ("draft", "草稿"),
    "discarded": ("discarded", "已作废"),
    "issued": ("issued", "已发出"),
    "acknowledged": ("acknowledged", "已签收"),
    "responded": ("responded", "已反馈整改"),
    "closed": ("closed", "已验收关闭"),
}
SEVERITY_LABELS = {
    "minor": ("minor", "一般"),
    "major": ("major", "较重"),
    "critical": ("critical", "严重"),
}
SOURCE_LABELS = {
    "inspection": ("inspection", "日常检查"),
    "audit": ("third-party audit", "第三方审计"),
    "complaint": ("complaint", "投诉"),
}
STEP_LABELS = {
    "draft": ("drafted by the month-end", "月度考核自动起草"),
    "redraft": ("redrafted: a later revision of the month", "月度考核修订后更新草稿"),
    "discard": ("discarded", "作废"),
    "issue": ("issued", "发出通知"),
    "acknowledge": ("acknowledged", "服务商签收"),
    "respond": ("responded", "服务商反馈"),
    "verify_passed": ("verified: passed", "复查合格"),
    "verify_failed": ("verified: failed, new deadline", "复查不合格，重新限期"),
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
