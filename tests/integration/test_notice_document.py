"""The rectification notice says where: each finding with its place in the location tree, the
checklist item (and clause) it failed, severity, deadline and the inspection's photo, embedded
in the 整改通知单 PDF; people by name and role, never a login name; a QR code and link that open
the notice for the vendor."""

from __future__ import annotations

import io
import re

from PIL import Image
from pypdf import PdfReader

from tests.conftest import csrf_token, unique
from tests.integration.test_inspections_notices import WARD_CLEANING, cleaning_contract
from vendorgov.audits import notices as audit_notices
from vendorgov.audits import service as audits
from vendorgov.inspections import service as inspections
from vendorgov.locations import service as locations


def _photo() -> bytes:
    """A phone-sized photo (the thumbnail is made from it)."""
    out = io.BytesIO()
    Image.new("RGB", (1600, 1200), (180, 40, 40)).save(out, "JPEG")
    return out.getvalue()


async def _toilet(world) -> int:
    """门诊楼 3楼 卫生间 on a campus of its own."""
    keeper = world.principals["supervisor"]
    campus = await locations.create(keeper, "campus", "本部", unique("C"))
    building = await locations.create(keeper, "building", "门诊楼", unique("B"), campus)
    floor = await locations.create(keeper, "floor", "3楼", unique("F"), building)
    return await locations.create(keeper, "area", "卫生间", unique("A"), floor)


async def _images(pdf: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages)


async def test_the_notice_and_its_pdf_say_where_with_the_photo_and_who(login, world):
    contract_id = await cleaning_contract(world, world.vendor_a)
    items = [
        {**WARD_CLEANING["items"][0]},
        {**WARD_CLEANING["items"][1], "clause": "BJ-3.2"},
        {**WARD_CLEANING["items"][2]},
    ]
    template_id = await inspections.save_template(
        world.principals["supervisor"], "cleaning", unique("病区保洁"), items
    )
    place = await _toilet(world)
    async with login("supervisor") as c:
        form = f"/inspections/new?contract_id={contract_id}&template_id={template_id}"
        token = await csrf_token(c, form)
        done = await c.post(
            "/inspections",
            data={
                "_csrf_token": token,
                "client_token": unique("draft"),
                "contract_id": str(contract_id),
                "template_id": str(template_id),
                "location_id": str(place),
                "kind": "routine",
                "inspected_at": "2026-10-15T10:30",
                "result_floor": "pass",
                "result_toilet": "fail",
                "result_isolation": "pass",
                "note_toilet": "男卫生间异味明显",
            },
            files={"photo_toilet": ("toilet.jpg", _photo(), "image/jpeg")},
            follow_redirects=False,
        )
        assert done.status_code in (302, 303), done.text
        inspection_id = int(done.headers["location"].rsplit("/", 1)[1])
        shown = (await c.get(done.headers["location"])).text.split("<main", 1)[1]
        assert "Test supervisor" in shown and "t.supervisor" not in shown  # the inspector
        (finding,) = await audits.finding_ids_of_inspection(inspection_id)
        issued = await c.post(
            "/notices",
            data={"_csrf_token": token, "finding_id": str(finding)},
            follow_redirects=False,
        )
        notice_path = issued.headers["location"]
        page = await c.get(notice_path)
        pdf = await c.get(f"{notice_path}/notice.pdf")
    assert page.status_code == 200 and pdf.status_code == 200
    html = page.text.split("<main", 1)[1]  # the notice, not the header's own account box
    assert "门诊楼 3楼 卫生间" in html and "BJ-3.2" in html
    photo = re.search(rf'src="(/inspections/{inspection_id}/photos/[^"]+)"', html).group(1)
    # Named as people, never by login name.
    assert "Test supervisor" in html and "t.supervisor" not in html

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    compact = re.sub(r"\s+", "", text)
    assert "门诊楼3楼卫生间" in compact
    assert "卫生间无异味" in compact and "BJ-3.2" in compact and "男卫生间异味明显" in compact
    assert "较重" in compact  # major
    assert "Testsupervisor" in compact and "后勤督导" in compact
    assert "t.supervisor" not in compact
    assert f"/notices/{notice_path.rsplit('/', 1)[1]}" in compact  # the link under the QR code
    # The photo, embedded as a JPEG thumbnail (the QR code is vector art, not an image).
    reader = PdfReader(io.BytesIO(pdf.content))
    embedded = [image for p in reader.pages for image in p.images]
    assert any(max(i.image.size) <= 360 and i.image.size[0] > i.image.size[1] for i in embedded)

    async with login("vendor") as c:  # the vendor opens the notice and sees the photo
        assert (await c.get(notice_path)).status_code == 200
        assert (await c.get(photo)).status_code == 200
        vendor_pdf = await c.get(f"{notice_path}/notice.pdf")
    assert vendor_pdf.status_code == 200 and "门诊楼3楼卫生间" in re.sub(
        r"\s+",
        "",
        "".join(p.extract_text() for p in PdfReader(io.BytesIO(vendor_pdf.content)).pages),
    )
    async with login("vendor_b") as c:
        assert (await c.get(f"{notice_path}/notice.pdf")).status_code == 404


async def test_a_notice_without_photos_or_place_still_prints(login, world):
    contract_id = await cleaning_contract(world, world.vendor_a)
    finding = await audits.raise_finding(
        world.principals["supervisor"],
        audits.FindingInput(contract_id, "complaint", "minor", "候诊区座椅污渍", "座椅有污渍"),
    )
    notice_id = await audit_notices.issue_notice(world.principals["supervisor"], [finding])
    async with login("supervisor") as c:
        pdf = await c.get(f"/notices/{notice_id}/notice.pdf")
    assert pdf.status_code == 200
    text = re.sub(
        r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    )
    assert "候诊区座椅污渍" in text and "一般" in text
    assert await _images(pdf.content) == 0  # no photo to show (the QR code is vector art)
