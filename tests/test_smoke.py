async def test_login_and_vendor_list(login, world):
    async with login("procurement") as c:
        r = await c.get("/vendors")
        assert r.status_code == 200
        assert "武汉测试保洁有限公司 A" in r.text
