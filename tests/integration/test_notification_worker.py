"""A real `vendorgov worker` sending the outbox to a webhook is killed with kill -9 while a
message is in flight, and restarted: every message is acknowledged exactly once.

The receiver acknowledges a message only if its sender is still there to hear the answer (a
message whose sender died before the acknowledgement was not delivered, as far as the sender
can know). Needs VENDORGOV_TEST_REDIS_URL (`vendorgov worker` runs on the Redis queue)."""

import asyncio
import os
import select
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import new_vendor, unique
from tests.integration.processes import cluster
from vendorgov.notifications import service
from vendorgov.notifications.service import Audience, Event
from vendorgov.notifications.tables import Delivery, GroupRobot
from vendorgov.settings import get_settings

REDIS_URL = os.environ.get("VENDORGOV_TEST_REDIS_URL", "")

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs VENDORGOV_TEST_REDIS_URL")

MESSAGES = 6
ANSWER_AFTER_S = 1.0


class SlowReceiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers["content-length"]))
        key = self.headers.get("X-Vendorgov-Delivery")
        with self.server.lock:
            self.server.arrived.append(key)
        time.sleep(ANSWER_AFTER_S)
        readable, _, _ = select.select([self.connection], [], [], 0)
        if readable and self.connection.recv(1, socket.MSG_PEEK) == b"":
            return  # the sender is gone: nobody hears the acknowledgement
        with self.server.lock:
            self.server.acknowledged.append(key)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


async def _until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def test_a_worker_killed_mid_delivery_sends_each_message_once(world, tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowReceiver)
    server.arrived, server.acknowledged, server.lock = [], [], threading.Lock()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    vendor_id = await new_vendor(world)
    robot = GroupRobot(
        name="保洁公司群",
        channel="webhook",
        url=f"json://127.0.0.1:{server.server_port}/robot",
        vendor=vendor_id,
    )
    await robot.save()
    subjects = [unique("kill") for _ in range(MESSAGES)]
    for subject in subjects:
        await service.notify(
            Event("contract.expiring", subject, {"number": subject, "ends": "e", "vendor": "v"}),
            Audience(vendor_ids=(vendor_id,)),
        )
    keys = {r["key"] for r in await Delivery.select(Delivery.key).where(Delivery.robot == robot.id)}
    assert len(keys) == MESSAGES
    settings = get_settings()
    try:
        with cluster(
            settings.database_url,
            REDIS_URL,
            settings.secret_key,
            tmp_path,
            apps=0,
            workers=1,
            notify_poll_s="1",
            notify_lease_s="3",
        ) as workers:
            # Two acknowledged, the third in flight: kill the worker while it waits for the
            # answer, and start another.
            await _until(lambda: len(server.arrived) >= 3, 60, "three messages to arrive")
            assert len(server.acknowledged) == 2
            workers.kill_worker(workers.workers[0])
            workers.start_worker()
            await _until(lambda: len(server.acknowledged) >= MESSAGES, 90, "every message")
            await asyncio.sleep(2 * ANSWER_AFTER_S)  # time for a duplicate, were there one
    finally:
        server.shutdown()
        await GroupRobot.update({GroupRobot.active: False}).where(GroupRobot.id == robot.id)
    assert sorted(server.acknowledged) == sorted(keys)
    rows = await Delivery.select().where(Delivery.robot == robot.id)
    assert {r["status"] for r in rows} == {"sent"}
    # What the killed worker had claimed but not sent (the message in flight and the rest of
    # its batch) was claimed again once the claim went stale; what it had sent, never.
    attempts = {r["key"]: r["attempts"] for r in rows}
    assert [attempts[k] for k in server.acknowledged[:2]] == [1, 1]
    assert sorted(attempts[k] for k in server.acknowledged[2:]) == [2] * (MESSAGES - 2)
