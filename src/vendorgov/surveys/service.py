"""The questionnaire builder (versioned), the wards' links and the anonymous answers (§10).

Answers are anonymous: no account, no audit entry (they are data, as imported events are);
the builder's changes are audited. One answer per device, survey and day and one answer per
form are unique indexes, so concurrent submissions cannot both be stored."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from functools import lru_cache

from vendorgov import db, paging
from vendorgov.accounts.roles import Principal, Role, role_label
from vendorgov.audit import service as audit
from vendorgov.audit.chain import derive_key
from vendorgov.contracts import service as contracts
from vendorgov.errors import Conflict, Forbidden, InvalidInput, NotFound
from vendorgov.i18n import N_, _
from vendorgov.locations import service as locations
from vendorgov.paging import Page, PageRequest
from vendorgov.settings import get_settings
from vendorgov.surveys import rules
from vendorgov.surveys.tables import Survey, SurveyAnswer, SurveyQuota, SurveyVersion
from vendorgov.vendors.rules import CATEGORY_LABELS

KEEPERS = (Role.admin, Role.supervisor)
SURVEY_SORTS = {"title": Survey.title, "status": Survey.status, "updated_at": Survey.updated_at}
ANSWER_SORTS = {"answered_at": SurveyAnswer.answered_at}
DEVICE_LABEL = b"vendorgov survey device"


def _ensure_keeper(actor: Principal) -> None:
    if actor.role not in KEEPERS:
        raise Forbidden(
            _("The %(role)s role does not manage surveys.", role=role_label(actor.role))
        )


def _now() -> datetime:
    return datetime.now(UTC)


def device_key() -> bytes:
    return _device_key(get_settings().secret_key)


@lru_cache(maxsize=2)
def _device_key(secret: str) -> bytes:
    # HKDF once per secret, not three times per answer
    return derive_key(secret, DEVICE_LABEL)


def new_device_id() -> str:
    """The random id a phone's cookie carries (only its keyed hash is stored)."""
    return secrets.token_urlsafe(24)


def device_hash(device_id: str) -> str:
    return rules.keyed_hash(device_key(), "device", device_id)


def form_token(survey_id: int, device_id: str) -> str:
    return rules.form_token(device_key(), secrets.token_urlsafe(12), survey_id, device_id)


def _version_dict(row: dict) -> dict:
    return {
        **row,
        "questions": json.loads(row["questions"]),
        "contracts": json.loads(row["contracts"]),
        "categories": json.loads(row["categories"]),
    }


async def _survey_row(survey_id: int) -> dict:
    row = await Survey.select().where(Survey.id == survey_id).first()
    if row is None:
        raise NotFound(N_("survey"), survey_id)
    return row


async def _current_version(survey_id: int) -> dict:
    row = (
        await SurveyVersion.select()
        .where(SurveyVersion.survey == survey_id)
        .order_by(SurveyVersion.number, ascending=False)
        .first()
    )
    return _version_dict(row)


async def _quotas(survey_id: int) -> dict[int, int]:
    rows = await SurveyQuota.select().where(SurveyQuota.survey == survey_id)
    return {r["location_id"]: r["monthly_quota"] for r in rows}


async def _check(data: rules.Definition) -> None:
    errors = rules.check_definition(data, CATEGORY_LABELS)
    known = await contracts.categories_of(data.contract_ids)
    missing = sorted(set(data.contract_ids) - set(known))
    if missing:
        errors.append(
            rules.FieldError(
                "contract_ids",
                "exists",
                _(
                    "Contracts: there are no contracts %(ids)s; choose from the list.",
                    ids=", ".join(map(str, missing)),
                ),
            )
        )
    for location_id in sorted(data.quotas):
        try:
            await locations.require_place(location_id, "quotas")
        except InvalidInput as error:
            errors += error.errors
    if errors:
        raise InvalidInput(errors)


async def quotas_from_lines(text: str) -> dict[int, int]:
    """The builder's wards box (rules.parse_quota_lines) with each place found by its code or
    full name; an unknown place is a 4xx naming its line."""
    pairs, errors = rules.parse_quota_lines(text)
    found = await locations.ids_for_labels([label for label, _ in pairs])
    for label, _quota in pairs:
        if label not in found:
            errors.append(
                rules.FieldError(
                    "quotas",
                    "exists",
                    _("Wards: there is no place %(label)s; check its code or name.", label=label),
                )
            )
    if errors:
        raise InvalidInput(errors)
    return {found[label]: quota for label, quota in pairs}


def _version_row(survey_id: int, number: int, data: rules.Definition, actor: Principal):
    return SurveyVersion(
        survey=survey_id,
        number=number,
        audience=data.audience,
        questions=json.dumps(rules.clean_questions(data.questions), ensure_ascii=False),
        contracts=json.dumps(sorted(set(data.contract_ids))),
        categories=json.dumps(sorted(set(data.categories))),
        created_at=_now(),
        created_by=actor.display_name,
    )


async def _replace_quotas(survey_id: int, quotas: dict[int, int]) -> None:
    await SurveyQuota.delete().where(SurveyQuota.survey == survey_id)
    if quotas:
        await SurveyQuota.insert(
            *[
                SurveyQuota(survey=survey_id, location_id=loc, monthly_quota=quota)
                for loc, quota in sorted(quotas.items())
            ]
        )


def _plain(data: rules.Definition) -> dict:
    return {
        "title": data.title.strip(),
        "audience": data.audience,
        "questions": rules.clean_questions(data.questions),
        "contract_ids": sorted(set(data.contract_ids)),
        "categories": sorted(set(data.categories)),
        "quotas": {str(k): v for k, v in sorted(data.quotas.items())},
    }


async def create(actor: Principal, data: rules.Definition) -> int:
    """A new survey, closed (open it once its questions and wards are right), version 1."""
    _ensure_keeper(actor)
    await _check(data)
    now = _now()
    async with db.transaction():
        survey = Survey(title=data.title.strip(), status="closed", created_at=now, updated_at=now)
        await survey.save()
        await _version_row(survey.id, 1, data, actor).save()
        await _replace_quotas(survey.id, data.quotas)
        await audit.record(actor, "survey", survey.id, "create", None, _plain(data))
    return survey.id


async def definition_of(survey_id: int) -> rules.Definition:
    survey = await _survey_row(survey_id)
    version = await _current_version(survey_id)
    return rules.Definition(
        survey["title"],
        version["audience"],
        version["questions"],
        version["contracts"],
        version["categories"],
        await _quotas(survey_id),
    )


async def update(actor: Principal, survey_id: int, data: rules.Definition) -> int:
    """Save the survey; returns the number of its current version. A version already
    answered is kept as it is (its answers keep it) and the change becomes the next version;
    an unanswered one is changed in place. Two editors at once: the survey row is locked, so
    the second one builds on the first one's result."""
    _ensure_keeper(actor)
    await _check(data)
    async with db.transaction():
        rows = await db.locked(Survey.select().where(Survey.id == survey_id))
        if not rows:
            raise NotFound(N_("survey"), survey_id)
        before = await definition_of(survey_id)
        version = await _current_version(survey_id)
        number = version["number"]
        if not rules.same_content(before, data):
            used = await SurveyAnswer.exists().where(SurveyAnswer.version == version["id"])
            if used:
                number += 1
                await _version_row(survey_id, number, data, actor).save()
            else:
                fresh = _version_row(survey_id, number, data, actor)
                await SurveyVersion.update(
                    {
                        SurveyVersion.audience: fresh.audience,
                        SurveyVersion.questions: fresh.questions,
                        SurveyVersion.contracts: fresh.contracts,
                        SurveyVersion.categories: fresh.categories,
                    }
                ).where(SurveyVersion.id == version["id"])
        await Survey.update({Survey.title: data.title.strip(), Survey.updated_at: _now()}).where(
            Survey.id == survey_id
        )
        await _replace_quotas(survey_id, data.quotas)
        await audit.record(
            actor,
            "survey",
            survey_id,
            "update",
            _plain(before),
            {**_plain(data), "version": number},
        )
    return number


async def set_status(actor: Principal, survey_id: int, status: str) -> str:
    """Open or close; repeating the same change is a no-op returning the same status."""
    _ensure_keeper(actor)
    if status not in rules.STATUSES:
        raise InvalidInput.single("status", "one_of", _("Status: open or closed."))
    async with db.transaction():
        rows = await db.locked(Survey.select().where(Survey.id == survey_id))
        if not rows:
            raise NotFound(N_("survey"), survey_id)
        if rows[0]["status"] != status:
            await Survey.update({Survey.status: status, Survey.updated_at: _now()}).where(
                Survey.id == survey_id
            )
            await audit.record(
                actor,
                "survey",
                survey_id,
                status,
                {"status": rows[0]["status"]},
                {"status": status},
            )
    return status


async def survey_page(actor: Principal, request: PageRequest = PageRequest()) -> Page:
    _ensure_keeper(actor)
    return await paging.fetch_page(
        Survey, Survey.select(), [], request, SURVEY_SORTS, [(Survey.updated_at, False)]
    )


def link(base_url: str, survey_id: int, location_id: int) -> str:
    return f"{base_url.rstrip('/')}/s/{survey_id}?w={location_id}"


async def detail(actor: Principal, survey_id: int, base_url: str) -> dict:
    """The survey, its versions (newest first) with their answer counts, and its wards with
    quota and link."""
    _ensure_keeper(actor)
    survey = await _survey_row(survey_id)
    versions = [
        _version_dict(r)
        for r in await SurveyVersion.select()
        .where(SurveyVersion.survey == survey_id)
        .order_by(SurveyVersion.number, ascending=False)
    ]
    counts = await db.fetch(
        "SELECT version, COUNT(*) AS n FROM survey_answer WHERE survey = {} GROUP BY version",
        survey_id,
    )
    answers = {r["version"]: r["n"] for r in counts}
    for version in versions:
        version["answers"] = answers.get(version["id"], 0)
    quotas = await _quotas(survey_id)
    names = await locations.names_of(list(quotas))
    wards = [
        {
            "location_id": loc,
            "name": names.get(loc, str(loc)),
            "monthly_quota": quota,
            "link": link(base_url, survey_id, loc),
        }
        for loc, quota in sorted(quotas.items(), key=lambda item: names.get(item[0], ""))
    ]
    return {**survey, "versions": versions, "current": versions[0], "wards": wards}


async def answer_page(actor: Principal, survey_id: int, request: PageRequest) -> Page:
    """A survey's answers with their comments, newest first (keyset paging)."""
    _ensure_keeper(actor)
    await _survey_row(survey_id)
    page = await paging.fetch_page(
        SurveyAnswer,
        SurveyAnswer.select(
            SurveyAnswer.id,
            SurveyAnswer.version,
            SurveyAnswer.location_id,
            SurveyAnswer.answered_at,
            SurveyAnswer.scores,
            SurveyAnswer.score_sum,
            SurveyAnswer.answered,
            SurveyAnswer.comment,
        ),
        [SurveyAnswer.survey == survey_id],
        request,
        ANSWER_SORTS,
        [(SurveyAnswer.id, False)],
        keyset=True,
    )
    names = await locations.names_of([r["location_id"] for r in page.items])
    for row in page.items:
        row["scores"] = json.loads(row["scores"])
        row["ward"] = names.get(row["location_id"], "")
        row["overall"] = round(row["score_sum"] / row["answered"], 2)
    return page


async def public_form(survey_id: int, location_id: int | None) -> dict:
    """What the anonymous page shows: the survey's current version and the ward. A closed
    survey or a ward the survey is not handed out in is refused."""
    survey = await _survey_row(survey_id)
    if survey["status"] != "open":
        raise Conflict(_("This survey is closed: it no longer takes answers."))
    quotas = await _quotas(survey_id)
    if location_id is None or location_id not in quotas:
        raise InvalidInput.single(
            "w",
            "survey_ward",
            _("This link does not name a ward of the survey: scan its code again."),
        )
    names = await locations.names_of([location_id])
    version = await _current_version(survey_id)
    return {"survey": survey, "version": version, "ward": names.get(location_id, "")}


async def answer(
    survey_id: int,
    version_id: int | None,
    location_id: int | None,
    device_id: str,
    token: str,
    raw_scores: list[str],
    comment: str,
    now: datetime | None = None,
) -> int:
    """Store one anonymous answer; its id. Nothing is written unless every check passes."""
    if not device_id:
        raise InvalidInput.single(
            "device",
            "cookie",
            _("This page needs cookies to count one answer per phone: allow them and reload."),
        )
    if not rules.form_token_valid(device_key(), token, survey_id, device_id):
        raise InvalidInput.single(
            "token", "form", _("This form was not issued to this browser: reload the page.")
        )
    if len(comment) > rules.MAX_COMMENT_CHARS:
        raise InvalidInput.single(
            "comment",
            "length",
            _("Comment: at most %(n)s characters.", n=rules.MAX_COMMENT_CHARS),
        )
    now = now or _now()
    form = rules.keyed_hash(device_key(), "token", token)
    device = device_hash(device_id)
    questions = _ANSWERED_VERSIONS.get(version_id or 0)
    ward = location_id if location_id and 0 < location_id < 2**31 else 0
    if questions is not None and ward:
        # A version already answered never changes (update() makes the next one), so its
        # scores are checked without reading it; the survey open and the ward one of its
        # wards are the statement's conditions, and the two one-answer rules its conflicts.
        scores, errors = rules.parse_scores(raw_scores, questions)
        if errors:
            raise InvalidInput(errors)
        stored = await db.fetch(
            _ANSWER_PG if db.is_postgres() else _ANSWER,
            *_answer_args(survey_id, ward, device, form, scores, comment, now),
            version_id,
            survey_id,
            ward,
        )
        if stored:
            return stored[0]["id"]
        # Refused: find out why the slow way (which writes nothing that is refused).
    try:
        async with db.transaction():
            stored, questions = await _insert_answer(
                survey_id,
                version_id,
                location_id,
                device,
                form,
                raw_scores,
                comment,
                now,
            )
    except Exception as error:
        if not db.is_unique_violation(error):
            raise
        if await SurveyAnswer.exists().where(
            (SurveyAnswer.survey == survey_id) & (SurveyAnswer.form == form)
        ):
            raise Conflict(_("This form was already sent: your answer is recorded.")) from None
        raise Conflict(
            _("This phone has already answered this survey today: thank you, come back tomorrow.")
        ) from None
    _remember(version_id, questions)  # committed: the version is answered, hence fixed
    return stored


def _answer_args(survey_id, location_id, device, form, scores, comment, now) -> tuple:
    answered = [s for s in scores if s is not None]
    return (
        survey_id,
        location_id,
        now.astimezone(get_settings().zone).date(),
        now,
        device,
        form,
        json.dumps(scores),
        sum(answered),
        len(answered),
        comment.strip(),
    )


# version id → its number of questions, for versions with answers (immutable from then on).
_ANSWERED_VERSIONS: dict[int, int] = {}
_ANSWERED_VERSIONS_MAX = 1000
_ANSWER_COLUMNS = (
    "INSERT INTO survey_answer (survey, version, location_id, answered_on, answered_at, "
    "device, form, scores, score_sum, answered, comment) "
)
# One statement: stored only if the version is the survey's, the survey open and the ward
# one of its wards; nothing (no error) on a second answer of the device today or of the form.
_ANSWER = (
    _ANSWER_COLUMNS + "SELECT {}, v.id, {}, {}, {}, {}, {}, {}, {}, {}, {} "
    "FROM survey_version v JOIN survey s ON s.id = v.survey "
    "WHERE v.id = {} AND v.survey = {} AND s.status = 'open' AND EXISTS "
    "(SELECT 1 FROM survey_quota q WHERE q.survey = s.id AND q.location_id = {})"
)
# PostgreSQL: the survey row share-locked, as _insert_answer() does: a close waits for the
# answers in flight, and one that committed first is seen (the row is read again).
_ANSWER_PG = _ANSWER + " FOR SHARE OF s ON CONFLICT DO NOTHING RETURNING id"
_ANSWER += " ON CONFLICT DO NOTHING RETURNING id"


def _remember(version_id: int, questions: int) -> None:
    if len(_ANSWERED_VERSIONS) >= _ANSWERED_VERSIONS_MAX:
        _ANSWERED_VERSIONS.clear()
    _ANSWERED_VERSIONS[version_id] = questions


async def _insert_answer(
    survey_id: int,
    version_id: int | None,
    location_id: int | None,
    device: str,
    form: str,
    raw_scores: list[str],
    comment: str,
    now: datetime,
) -> tuple[int, int]:
    """In the answer's transaction: the survey open, the ward one of its wards, the scores
    right for the version, then the row. On PostgreSQL the survey row is share-locked to the
    commit: answers go on side by side, and a close waits for those in flight (SQLite writes
    one transaction at a time)."""
    share = " FOR SHARE OF s" if db.is_postgres() else ""
    rows = await db.fetch(
        "SELECT v.questions, s.status, (SELECT COUNT(*) FROM survey_quota q WHERE "
        "q.survey = s.id AND q.location_id = {}) AS wards FROM survey_version v "
        f"JOIN survey s ON s.id = v.survey WHERE v.id = {{}} AND v.survey = {{}}{share}",
        location_id or 0,
        version_id or 0,
        survey_id,
    )
    if not rows:
        raise NotFound(N_("survey version"), version_id)
    if rows[0]["status"] != "open":
        raise Conflict(_("This survey is closed: it no longer takes answers."))
    if location_id is None or not rows[0]["wards"]:
        raise InvalidInput.single("w", "survey_ward", _("This ward does not take this survey."))
    scores, errors = rules.parse_scores(raw_scores, len(json.loads(rows[0]["questions"])))
    if errors:
        raise InvalidInput(errors)
    args = _answer_args(survey_id, location_id, device, form, scores, comment, now)
    stored = await db.fetch(
        _ANSWER_COLUMNS + "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}) RETURNING id",
        args[0],
        version_id,
        *args[1:],
    )
    return stored[0]["id"], len(scores)
