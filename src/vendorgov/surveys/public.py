"""The anonymous phone page a ward's QR code opens (no login). A first-party cookie holds a
random device id (only its keyed hash is stored): one answer per device, survey and day. Each
form carries a one-time token signed for that device: the same form sent twice (a double tap,
a refresh after sending, a replay) is refused, and a form cannot be made up without loading
the page. Answers are rate limited per client address (app.py)."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from vendorgov.errors import Conflict, DomainError
from vendorgov.settings import get_settings
from vendorgov.surveys import service
from vendorgov.web.forms import Form, error_map

PATHS = ["^/s/"]
DEVICE_COOKIE = "vg_device"
DEVICE_COOKIE_DAYS = 400  # the longest browsers keep a cookie


def _device_cookie(device_id: str) -> Cookie:
    return Cookie(
        key=DEVICE_COOKIE,
        value=device_id,
        path="/s/",
        max_age=DEVICE_COOKIE_DAYS * 86400,
        httponly=True,
        samesite="lax",
        secure=get_settings().secure_cookies,
    )


def _refused(error: DomainError) -> Template:
    """A closed survey, a ward not in the survey, an answer already given: a page with the
    reason and no form."""
    return Template(
        "surveys/public.html",
        status_code=error.status_code,
        context={"refused": error.message, "form": None},
    )


async def _form_page(
    request: Request,
    survey_id: int,
    ward: int | None,
    values: dict | None = None,
    errors: dict | None = None,
    status: int = 200,
) -> Template:
    try:
        form = await service.public_form(survey_id, ward)
    except DomainError as error:
        return _refused(error)
    device_id = request.cookies.get(DEVICE_COOKIE) or service.new_device_id()
    return Template(
        "surveys/public.html",
        status_code=status,
        context={
            "form": form,
            "ward_id": ward,
            "token": service.form_token(survey_id, device_id),
            "values": values or {},
            "errors": errors or {},
        },
        cookies=[_device_cookie(device_id)],
    )


class PublicSurveyPages(Controller):
    path = "/s"
    include_in_schema = False

    @get("/{survey_id:int}")
    async def show(
        self, request: Request, survey_id: FromPath[int], w: FromQuery[int | None] = None
    ) -> Template:
        return await _form_page(request, survey_id, w)

    @post("/{survey_id:int}")
    async def answer(self, request: Request, survey_id: FromPath[int]) -> Template | Redirect:
        form = await Form.read(request)
        ward = form.integer("w")
        version = form.integer("version")
        questions = form.integer("questions") or 0
        scores = [form.text(f"q{i}") for i in range(1, min(questions, 50) + 1)]
        try:
            await service.answer(
                survey_id,
                version,
                ward,
                request.cookies.get(DEVICE_COOKIE, ""),
                form.text("token"),
                scores,
                form.text("comment"),
            )
        except Conflict as error:
            return _refused(error)
        except DomainError as error:
            if error.status_code == 404:
                return _refused(error)
            return await _form_page(
                request, survey_id, ward, form.values(), error_map(error), error.status_code
            )
        return Redirect(f"/s/{survey_id}/thanks", status_code=303)

    @get("/{survey_id:int}/thanks")
    async def thanks(self, survey_id: FromPath[int]) -> Template:
        return Template("surveys/public.html", context={"thanks": True, "form": None})
