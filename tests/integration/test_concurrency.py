"""Concurrent writers never fail with 'database is locked' and keep the audit chain linear."""

import asyncio
import os
import subprocess
import sys
import textwrap

from tests.conftest import random_uscc, unique
from vendorgov.audit import service as audit

OTHER_PROCESS = textwrap.dedent("""
    import asyncio, random
    from vendorgov import db
    from vendorgov.accounts import service as accounts
    from vendorgov.vendors import service as vendors
    from vendorgov.vendors.rules import USCC_ALPHABET, VendorInput, uscc_check_character

    def random_uscc():
        body = "92" + "".join(random.choice(USCC_ALPHABET) for _ in range(15))
        return body + uscc_check_character(body)

    async def main():
        async with db.lifespan_connections():
            admin = await accounts.principal_for_user(await accounts.user_id_for("t.admin"))
            await asyncio.gather(*[vendors.create_vendor(admin, VendorInput(
                name=f"另一进程服务商 {i}", uscc=random_uscc(), categories=["laundry"]))
                for i in range(20)])
    asyncio.run(main())
""")


async def test_twenty_concurrent_api_creates_all_succeed(api):
    names = [unique("并发服务商") for _ in range(20)]
    async with api("procurement") as c:
        responses = await asyncio.gather(
            *[
                c.post(
                    "/api/vendors",
                    json={"name": n, "uscc": random_uscc(), "categories": ["cleaning"]},
                )
                for n in names
            ]
        )
        assert [r.status_code for r in responses] == [201] * 20, [r.text for r in responses]
        listed = (await c.get("/api/vendors", params={"q": "并发服务商"})).json()
    assert set(names) <= {v["name"] for v in listed}
    assert (await audit.verify()).intact


async def test_writes_from_another_process_at_the_same_time(api):
    """The CLI or a second worker writing while the server writes: both wait their turn."""
    env = os.environ.copy()
    other = await asyncio.create_subprocess_exec(
        sys.executable, "-c", OTHER_PROCESS, env=env, stderr=subprocess.PIPE
    )
    async with api("procurement") as c:
        responses = []
        for _ in range(4):
            responses += await asyncio.gather(
                *[
                    c.post(
                        "/api/vendors",
                        json={
                            "name": unique("本进程服务商"),
                            "uscc": random_uscc(),
                            "categories": ["hvac"],
                        },
                    )
                    for _ in range(5)
                ]
            )
    _, stderr = await other.communicate()
    assert other.returncode == 0, stderr.decode()
    assert [r.status_code for r in responses] == [201] * 20, [r.text for r in responses]
    assert (await audit.verify()).intact
