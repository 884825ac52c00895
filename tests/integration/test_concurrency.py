"""Concurrent writers never fail with 'database is locked' and keep the audit chain linear."""

import asyncio
import os
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime

import pytest

from tests.conftest import IS_POSTGRES, random_uscc, unique
from vendorgov import db
from vendorgov.audit import service as audit
from vendorgov.errors import Conflict
from vendorgov.vendors import registry as vendor_registry
from vendorgov.vendors.rules import VendorInput

OTHER_PROCESS = textwrap.dedent("""
    import asyncio, random
    from vendorgov import db
    from vendorgov.accounts import service as accounts
    from vendorgov.vendors import registry as vendor_registry
    from vendorgov.vendors.rules import USCC_ALPHABET, VendorInput, uscc_check_character

    def random_uscc():
        body = "92" + "".join(random.choice(USCC_ALPHABET) for _ in range(15))
        return body + uscc_check_character(body)

    async def main():
        async with db.lifespan_connections():
            admin = await accounts.principal_for_user(await accounts.user_id_for("t.admin"))
            await asyncio.gather(*[vendor_registry.create_vendor(admin, VendorInput(
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
        listed = (await c.get("/api/vendors", params={"q": "并发服务商", "page_size": 200})).json()[
            "items"
        ]
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


async def test_a_failing_writer_in_a_shared_commit_loses_only_its_own_work(world):
    """Writers that run together share one SQLite commit (group commit): one that fails rolls
    back its own rows and its own audit entry, the others are saved and the chain stays whole."""
    admin = world.principals["admin"]
    taken = random_uscc()
    await vendor_registry.create_vendor(
        admin, VendorInput(name=unique("先到服务商"), uscc=taken, categories=["porter"])
    )
    names = [unique("同批服务商") for _ in range(6)]
    inputs = [VendorInput(name=n, uscc=random_uscc(), categories=["porter"]) for n in names]
    inputs[2] = VendorInput(name=names[2], uscc=taken, categories=["porter"])  # a clash

    async def fails_after_its_audit_entry():
        async with db.transaction():
            await db.fetch(
                "INSERT INTO vendor (name, uscc, legal_representative, address, phone, email, "
                "status, status_reason, created_at, updated_at, revision) VALUES "
                "({}, {}, '', '', '', '', 'active', '', {}, {}, 1)",
                "回滚服务商",
                random_uscc(),
                datetime.now(UTC),
                datetime.now(UTC),
            )
            await audit.record(admin, "vendor", 0, "create", None, {"name": "回滚服务商"})
            raise RuntimeError("changed my mind")

    results = await asyncio.gather(
        *[vendor_registry.create_vendor(admin, i) for i in inputs],
        fails_after_its_audit_entry(),
        return_exceptions=True,
    )
    assert isinstance(results[2], Conflict) and "already registered" in str(results[2])
    assert isinstance(results[-1], RuntimeError)
    saved = [r for r in results if isinstance(r, int)]
    assert len(saved) == 5
    rows = await db.fetch("SELECT name FROM vendor WHERE name IN ({}, {})", names[2], "回滚服务商")
    assert rows == []
    for vendor_id in saved:
        assert [e["action"] for e in await audit.history("vendor", vendor_id)] == ["create"]
    assert (await audit.verify()).intact


@pytest.mark.skipif(IS_POSTGRES, reason="group commit is how the SQLite engine writes")
async def test_concurrent_writers_share_commits_and_each_returns_after_its_commit(world):
    admin = world.principals["admin"]
    engine = db.engine()
    commits = 0
    real_commit = engine.queue()._commit

    async def counting_commit(batch):
        nonlocal commits
        commits += 1
        await real_commit(batch)

    engine.queue()._commit = counting_commit
    try:
        ids = await asyncio.gather(
            *[
                vendor_registry.create_vendor(
                    admin,
                    VendorInput(name=unique("成组服务商"), uscc=random_uscc(), categories=["hvac"]),
                )
                for _ in range(30)
            ]
        )
    finally:
        del engine.queue()._commit
    assert commits < 30  # they were grouped
    # Returned means committed: another connection sees every row.
    with sqlite3.connect(engine.path) as other:
        found = other.execute(
            f"SELECT count(*) FROM vendor WHERE id IN ({','.join(map(str, ids))})"
        ).fetchone()[0]
    assert found == 30
