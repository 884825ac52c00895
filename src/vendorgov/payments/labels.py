"""How statements name their components and money lines (English, Chinese)."""

from vendorgov.i18n import N_

COMPONENT_LABELS = {
    "sla": (N_("SLA"), "服务水平"),
    "inspection": (N_("inspections"), "日常检查"),
    "satisfaction": (N_("satisfaction"), "满意度"),
    "audit": (N_("audits and rectification"), "审计与整改"),
}
LINE_LABELS = {
    "base": (N_("base fee"), "基本服务费"),
    "grade": (N_("grade deduction"), "等级扣款"),
    "penalty": (N_("penalty"), "违约扣款"),
    "cap": (N_("cap"), "扣款上限调整"),
}
