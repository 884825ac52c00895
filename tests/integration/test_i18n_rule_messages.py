"""The rules of contracts, audits and vendors answer an API caller in its language: problem+json
with the same field and rule codes in Chinese (the default) and English, and messages that
name the field by its label, the rule and what to do."""

from tests.conftest import new_vendor, unique

PROBLEM = "application/problem+json"


async def both_languages(api, role: str, method: str, path: str, body: dict):
    """The same refused request sent as a Chinese (no Accept-Language: the default) and an
    English caller."""
    async with api(role) as c:
        del c.headers["Accept-Language"]
        chinese = await c.request(method, path, json=body)
        c.headers["Accept-Language"] = "en"
        english = await c.request(method, path, json=body)
    for response in (chinese, english):
        assert response.headers["content-type"].startswith(PROBLEM), response.text
    assert chinese.status_code == english.status_code
    return chinese, english


def codes(response) -> list[tuple[str, str]]:
    return [(e["field"], e["rule"]) for e in response.json()["errors"]]


def messages(response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


async def test_a_contract_rule_in_chinese_and_english(api, world):
    body = {
        "number": unique("HT-ZH"),
        "title": "门诊楼保洁服务合同",
        "vendor_id": world.vendor_a,
        "category": "cleaning",
        "start_date": "2026-01-01",
        "end_date": "2025-12-31",
        "monthly_fee": "128000.00",
    }
    chinese, english = await both_languages(api, "procurement", "POST", "/api/contracts", body)
    assert chinese.status_code == 422
    assert codes(chinese) == codes(english) == [("end_date", "after_start")]
    assert messages(chinese)["end_date"] == "结束日期：应晚于开始日期。"
    assert messages(english)["end_date"] == "End date: must be after the start date."
    assert chinese.json()["title"] != english.json()["title"] == "Invalid input"


async def test_a_contract_status_conflict_names_the_status_in_chinese(api, world):
    async with api("procurement") as c:
        created = await c.post(
            "/api/contracts",
            json={
                "number": unique("HT-ZH"),
                "title": "安保服务合同",
                "vendor_id": world.vendor_a,
                "category": "cleaning",
                "start_date": "2026-01-01",
                "end_date": "2027-12-31",
                "monthly_fee": "50000.00",
            },
        )
        assert created.status_code == 201, created.text
    contract_id = created.json()["id"]
    chinese, english = await both_languages(
        api,
        "procurement",
        "POST",
        f"/api/contracts/{contract_id}/status",
        {"action": "resume", "reason": "服务恢复正常"},
    )
    assert chinese.status_code == 409
    assert chinese.json()["detail"] == "只有已暂停的合同可以恢复，该合同当前状态为“草稿”。"
    assert english.json()["detail"] == (
        "Only a suspended contract can be resumed; this one is Draft."
    )


async def test_an_audit_rule_in_chinese_and_english(api, world):
    body = {
        "contract_id": 987654321,
        "source": "hearsay",
        "severity": "huge",
        "description": " ",
    }
    chinese, english = await both_languages(api, "supervisor", "POST", "/api/findings", body)
    assert chinese.status_code == 422
    assert codes(chinese) == codes(english)
    assert set(codes(chinese)) == {
        ("source", "one_of"),
        ("severity", "one_of"),
        ("description", "required"),
        ("contract_id", "exists"),
    }
    zh = messages(chinese)
    assert zh["severity"] == "严重程度：请选择一般、较重或严重。"
    assert zh["description"] == "问题描述：请说明存在的问题。"
    assert zh["contract_id"] == "合同：合同987654321不存在，请从列表中选择。"
    assert messages(english)["severity"] == "Severity: choose minor, major or critical."


async def test_a_vendor_rule_in_chinese_and_english(api, world):
    vendor_id = await new_vendor(world)
    chinese, english = await both_languages(
        api,
        "procurement",
        "POST",
        f"/api/vendors/{vendor_id}/status",
        {"action": "reinstate", "reason": "整改已全部完成"},
    )
    assert chinese.status_code == 409  # a move its status does not allow
    assert codes(chinese) == codes(english) == [("action", "transition")]
    assert messages(chinese)["action"] == "操作：该服务商已是正常状态，无需恢复。"
    assert messages(english)["action"] == (
        "Action: the vendor is active already; there is nothing to reinstate."
    )


async def test_a_duplicate_uscc_names_the_vendor_it_belongs_to(api, world):
    name = unique("重复代码服务商")
    first = await new_vendor(world, name=name)
    async with api("procurement") as c:
        uscc = (await c.get(f"/api/vendors/{first}")).json()["uscc"]
    body = {"name": unique("另一家"), "uscc": uscc, "categories": ["cleaning"]}
    chinese, english = await both_languages(api, "procurement", "POST", "/api/vendors", body)
    assert chinese.status_code == 409
    assert codes(chinese) == codes(english) == [("uscc", "unique")]
    assert messages(chinese)["uscc"] == (
        f"统一社会信用代码：{uscc}已登记为服务商{name}，请打开该服务商，不要重复登记。"
    )
    assert f"already registered to vendor {name}" in messages(english)["uscc"]
    assert f"#{first}" not in chinese.text  # a name, not a database id
