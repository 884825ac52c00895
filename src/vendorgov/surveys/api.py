"""JSON API of surveys (§10): the builder, the wards' links, the answers and the results.
Answering is the anonymous page's (public.py): the API takes bearer tokens only."""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from vendorgov.accounts.auth import allow
from vendorgov.files.responses import download
from vendorgov.paging import PageRequest
from vendorgov.surveys import results, rules, service

KEEPERS = allow(*service.KEEPERS)
READERS = allow(*results.READERS)


class QuotaIn(msgspec.Struct):
    location_id: int
    monthly_quota: int = 0


class SurveyIn(msgspec.Struct):
    title: str
    audience: str = msgspec.field(default="patient")
    questions: list[str] = msgspec.field(default_factory=list)
    contract_ids: list[int] = msgspec.field(default_factory=list)
    categories: list[str] = msgspec.field(default_factory=list)
    quotas: list[QuotaIn] = msgspec.field(default_factory=list)

    def definition(self) -> rules.Definition:
        return rules.Definition(
            self.title,
            self.audience,
            self.questions,
            self.contract_ids,
            self.categories,
            {q.location_id: q.monthly_quota for q in self.quotas},
        )


class StatusIn(msgspec.Struct):
    status: str


class CreatedOut(msgspec.Struct):
    id: int


class VersionOut(msgspec.Struct):
    version: int


def _plain(value):
    return msgspec.to_builtins(value, builtin_types=(datetime,))


class SurveyApi(Controller):
    path = "/api/surveys"
    tags = ["surveys"]

    @get("/", guards=[KEEPERS], summary="Surveys, newest change first (paged)")
    async def surveys(self, request: Request, paging: PageRequest) -> dict:
        return _plain((await service.survey_page(request.user, paging)).as_json())

    @post("/", guards=[KEEPERS], status_code=HTTP_201_CREATED, summary="Create a survey (closed)")
    async def create(self, request: Request, data: JSONBody[SurveyIn]) -> CreatedOut:
        return CreatedOut(await service.create(request.user, data.definition()))

    @get("/{survey_id:int}", guards=[KEEPERS], summary="A survey: versions, wards, links")
    async def survey(self, request: Request, survey_id: FromPath[int]) -> dict:
        return _plain(await service.detail(request.user, survey_id, str(request.base_url)))

    @put(
        "/{survey_id:int}",
        guards=[KEEPERS],
        status_code=HTTP_200_OK,
        summary="Change a survey; an answered version is kept and the change is the next one",
    )
    async def update(
        self, request: Request, survey_id: FromPath[int], data: JSONBody[SurveyIn]
    ) -> VersionOut:
        return VersionOut(await service.update(request.user, survey_id, data.definition()))

    @post(
        "/{survey_id:int}/status",
        guards=[KEEPERS],
        status_code=HTTP_200_OK,
        summary="Open or close a survey (open, closed)",
    )
    async def status(
        self, request: Request, survey_id: FromPath[int], data: JSONBody[StatusIn]
    ) -> StatusIn:
        return StatusIn(await service.set_status(request.user, survey_id, data.status))

    @get(
        "/{survey_id:int}/answers",
        guards=[KEEPERS],
        summary="A survey's answers with comments, newest first (paged by cursor)",
    )
    async def answers(
        self, request: Request, survey_id: FromPath[int], paging: PageRequest
    ) -> dict:
        return _plain((await service.answer_page(request.user, survey_id, paging)).as_json())


class SurveyResultApi(Controller):
    path = "/api/survey-results"
    tags = ["surveys"]

    @get(
        "/",
        guards=[READERS],
        summary="Answers, satisfied share, quota and shortfall per contract and ward of a month",
    )
    async def results(
        self,
        request: Request,
        paging: PageRequest,
        month: FromQuery[str] = "",
        contract_id: FromQuery[int | None] = None,
        location_id: FromQuery[int | None] = None,
        q: FromQuery[str] = "",
    ) -> dict:
        chosen = results.month_or_current(month)
        page = await results.result_page(
            request.user, chosen, contract_id, location_id, request=paging, search=q
        )
        return _plain(page.as_json())

    @get("/export", guards=[READERS], summary="The month's results as CSV or XLSX (fmt)")
    async def export(
        self,
        request: Request,
        month: FromQuery[str] = "",
        contract_id: FromQuery[int | None] = None,
        fmt: FromQuery[str] = "csv",
        q: FromQuery[str] = "",
    ) -> Response[bytes]:
        body, name, media_type = await results.export_file(
            request.user, results.month_or_current(month), contract_id, fmt, q
        )
        return download(body, name, media_type)
