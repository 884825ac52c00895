"""History and comparison panels show labelled, formatted values, never Python."""

from decimal import Decimal

from vendorgov.humane import field_label, humane, status_label
from vendorgov.i18n import using_locale

CLAUSES = [
    {"category": "", "code": "SLA-1", "name": "报修响应", "target": "95", "threshold_minutes": 30}
]


def test_chinese_panels_read_as_chinese():
    with using_locale("zh_CN"):
        assert field_label("monthly_fee") == "月度服务费"
        assert field_label("qualification_id") == "资质"
        assert humane(Decimal("123456.7"), "monthly_fee") == "¥123,456.70"
        assert humane(["cleaning", "security"], "categories") == "保洁、安保"
        assert humane("suspended", "status") == "暂停合作"
        assert humane(None) == humane("") == humane([]) == "—"
        assert humane(True) == "是"
        clause = humane(CLAUSES, "clauses")
        assert clause == "SLA-1 报修响应，目标值 95，时限（分钟） 30"
        assert "{" not in clause and "'" not in clause


def test_english_panels_read_as_english():
    with using_locale("en"):
        assert field_label("monthly_fee") == "Monthly fee"
        assert field_label("notice_days") == "Expiry notice (days)"
        assert field_label("some_new_field_id") == "Some new field"  # unknown: words, no _id
        assert humane(["cleaning"], "categories") == "Cleaning"
        assert humane("-12.5", "deductions") == "-¥12.50"
        assert humane(False) == "no"
        assert status_label("issued") == "Issued" and status_label("unheard-of") == "unheard-of"
        assert humane(CLAUSES, "clauses") == "SLA-1 报修响应, Target 95, Threshold (minutes) 30"


def test_a_place_in_a_table_reads_as_the_column_and_the_row():
    with using_locale("zh_CN"):
        assert field_label("rows[3].satisfaction") == "第 3 行 满意度"
    with using_locale("en"):
        assert field_label("rows[3].reported_at") == "Reported at (row 3)"
        assert field_label("criteria[1].weight") == "Weight (row 1)"
