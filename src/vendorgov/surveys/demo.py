"""The demo's surveys: one for inpatients, one for ward staff, each answered anonymously on
some wards last month (one ward short of its quota), so that the month-end's satisfaction
component has survey answers."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from vendorgov.accounts.roles import Principal
from vendorgov.settings import get_settings
from vendorgov.surveys import rules, service

# (title, audience, questions, categories, {ward code: quota}, answers last month, comments)
SURVEYS = [
    (
        "住院患者满意度调查",
        "patient",
        ["病房和卫生间是否干净", "保洁人员服务态度", "餐饮是否可口、准时", "运送陪检是否及时"],
        ["cleaning", "catering", "porter"],
        {"BY-ZY-5F-01": 20, "BY-ZY-5F-02": 20, "BY-ZY-6F-01": 20},
        48,
        ["卫生间地面有时湿滑", "送餐很准时，谢谢", "", "", "夜间垃圾清运不及时"],
    ),
    (
        "临床科室员工满意度（后勤服务）",
        "staff",
        ["报修响应速度", "安保巡查到位", "电梯运行可靠"],
        ["security", "elevator", "cleaning"],
        {"BY-ZY-5F-03": 8, "BY-JZ-1F-01": 8},
        14,
        ["急诊楼电梯高峰期等待时间长", "", ""],
    ),
]


async def load(supervisor: Principal, today: date) -> None:
    rng = random.Random(19)
    zone = get_settings().zone
    last_month_end = today.replace(day=1) - timedelta(days=1)
    for title, audience, questions, categories, wards, answers, comments in SURVEYS:
        quotas = await service.quotas_from_lines(
            "\n".join(f"{code} {quota}" for code, quota in wards.items())
        )
        survey_id = await service.create(
            supervisor, rules.Definition(title, audience, questions, [], categories, quotas)
        )
        await service.set_status(supervisor, survey_id, "open")
        version = (await service.detail(supervisor, survey_id, ""))["current"]["id"]
        ward_ids = sorted(quotas)
        for n in range(answers):
            device = service.new_device_id()
            day = last_month_end - timedelta(days=rng.randrange(last_month_end.day))
            moment = datetime.combine(day, time(8 + rng.randrange(12)), zone).astimezone(UTC)
            # the first ward gets a third of the answers less: short of its quota
            ward = ward_ids[0] if n % 3 == 0 and n % 2 == 0 else rng.choice(ward_ids[1:])
            # about nine in ten respondents are satisfied (as the hospital's paper surveys were)
            choices = (5, 4) if rng.random() < 0.9 else (4, 3, 2)
            scores = ["" if rng.random() < 0.1 else str(rng.choice(choices)) for _ in questions]
            if not any(scores):
                scores[0] = "4"
            await service.answer(
                survey_id,
                version,
                ward,
                device,
                service.form_token(survey_id, device),
                scores,
                rng.choice(comments),
                now=moment,
            )
