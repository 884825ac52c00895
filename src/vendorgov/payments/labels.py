"""How statements name their components and money lines (English, Chinese)."""

COMPONENT_LABELS = {
    "sla": ("SLA", "服务水平"),
    "inspection": ("inspections", "日常检查"),
    "satisfaction": ("satisfaction", "满意度"),
    "audit": ("audits and rectification", "审计与整改"),
}
LINE_LABELS = {
    "base": ("base fee", "基本服务费"),
    "grade": ("grade deduction", "等级扣款"),
    "penalty": ("penalty", "违约扣款"),
    "cap": ("cap", "扣款上限调整"),
}
