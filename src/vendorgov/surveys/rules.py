"""Survey rules (§10, §6), pure: a questionnaire's checks, an answer's scores, what a version
covers, the satisfaction share and the quota shortfall, and the keyed hashes that identify a
device and a form without storing either."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from vendorgov.errors import FieldError
from vendorgov.i18n import N_, _

AUDIENCES = ("patient", "staff")
AUDIENCE_LABELS = {"patient": N_("Patients"), "staff": N_("Staff")}
STATUSES = ("open", "closed")
MAX_QUESTIONS = 20
MAX_QUESTION_CHARS = 300
MAX_TITLE_CHARS = 200
MAX_COMMENT_CHARS = 1000
MAX_QUOTA = 100_000
SATISFIED = 4  # an answer whose overall score is at least this counts as satisfied (§6)


@dataclass(frozen=True)
class Definition:
    """What a supervisor edits: the survey's title and its current version's content, and the
    wards with their monthly quotas (location id → quota)."""

    title: str
    audience: str
    questions: list[str]
    contract_ids: list[int] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    quotas: dict[int, int] = field(default_factory=dict)


def check_definition(data: Definition, known_categories: Iterable[str]) -> list[FieldError]:
    errors = []
    if not data.title.strip():
        errors.append(FieldError("title", "required", _("Title: give the survey a title.")))
    elif len(data.title.strip()) > MAX_TITLE_CHARS:
        errors.append(
            FieldError("title", "length", _("Title: at most %(n)s characters.", n=MAX_TITLE_CHARS))
        )
    if data.audience not in AUDIENCES:
        errors.append(FieldError("audience", "one_of", _("Audience: patients or staff.")))
    questions = [q.strip() for q in data.questions if q.strip()]
    if not questions:
        errors.append(
            FieldError("questions", "required", _("Questions: ask at least one question."))
        )
    if len(questions) > MAX_QUESTIONS:
        errors.append(
            FieldError(
                "questions", "count", _("Questions: at most %(n)s questions.", n=MAX_QUESTIONS)
            )
        )
    if any(len(q) > MAX_QUESTION_CHARS for q in questions):
        errors.append(
            FieldError(
                "questions",
                "length",
                _("Questions: each question at most %(n)s characters.", n=MAX_QUESTION_CHARS),
            )
        )
    if not data.contract_ids and not data.categories:
        errors.append(
            FieldError(
                "contract_ids",
                "required",
                _("Contracts: cover at least one contract or service category."),
            )
        )
    unknown = sorted(set(data.categories) - set(known_categories))
    if unknown:
        errors.append(
            FieldError(
                "categories",
                "one_of",
                _(
                    "Service categories: %(unknown)s is not one of ours; choose from the list.",
                    unknown=", ".join(unknown),
                ),
            )
        )
    if any(not 0 <= q <= MAX_QUOTA for q in data.quotas.values()):
        errors.append(
            FieldError("quotas", "range", _("Wards: a quota is from 0 to %(n)s.", n=MAX_QUOTA))
        )
    return errors


def clean_questions(questions: Iterable[str]) -> list[str]:
    return [q.strip() for q in questions if q.strip()]


def same_content(a: Definition, b: Definition) -> bool:
    """Whether two definitions ask the same of the same people about the same contracts (the
    title and quotas are not part of a version)."""
    return (
        a.audience == b.audience
        and clean_questions(a.questions) == clean_questions(b.questions)
        and sorted(set(a.contract_ids)) == sorted(set(b.contract_ids))
        and sorted(set(a.categories)) == sorted(set(b.categories))
    )


def parse_scores(raw: list[str], questions: int) -> tuple[list[int | None], list[FieldError]]:
    """One score per question from the form: 1-5, or empty for a skipped question. At least
    one question must be answered."""
    if len(raw) != questions:
        return [], [
            FieldError(
                "scores",
                "count",
                _("Send %(n)s scores (empty = skipped).", n=questions),
            )
        ]
    scores: list[int | None] = []
    errors = []
    for index, text in enumerate(raw, start=1):
        text = text.strip()
        if not text:
            scores.append(None)
        elif text in ("1", "2", "3", "4", "5"):
            scores.append(int(text))
        else:
            errors.append(
                FieldError(f"q{index}", "range_1_5", _("Use a whole number from 1 to 5."))
            )
    if not errors and all(s is None for s in scores):
        errors.append(FieldError("scores", "required", _("Answer at least one question.")))
    return scores, errors


def overall(scores: Iterable[int | None]) -> Fraction:
    """The answer's overall score: the mean of the answered questions, exact."""
    answered = [s for s in scores if s is not None]
    return Fraction(sum(answered), len(answered))


def satisfied(score_sum: int, answered: int) -> bool:
    """mean ≥ 4 without division: sum ≥ 4 × answered."""
    return score_sum >= SATISFIED * answered


def covers(contract_ids: Iterable[int], categories: Iterable[str], contract: dict) -> bool:
    """Whether a version speaks about a contract: named, or by the contract's category."""
    return contract["id"] in set(contract_ids) or contract["category"] in set(categories)


@dataclass(frozen=True)
class Tally:
    """Answers and how many of them were satisfied."""

    answers: int = 0
    satisfied: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.answers + other.answers, self.satisfied + other.satisfied)

    @property
    def share(self) -> Fraction | None:
        """Percent satisfied, exact; None without answers (the component has no data)."""
        return Fraction(100 * self.satisfied, self.answers) if self.answers else None


def shortfall(quota: int, answers: int) -> int:
    return max(0, quota - answers)


def keyed_hash(key: bytes, *parts: str) -> str:
    """HMAC-SHA-256 of the parts: a device cookie or form token is stored only this way, so the
    table cannot be matched to a browser without the installation's key."""
    return hmac.new(key, "|".join(parts).encode(), hashlib.sha256).hexdigest()


def form_token(key: bytes, nonce: str, survey_id: int, device: str) -> str:
    """A one-time token for a form shown to a device: nonce.signature. Tied to the device, so
    it cannot be made up or carried to another browser."""
    return f"{nonce}.{keyed_hash(key, 'form', nonce, str(survey_id), device)[:32]}"


def form_token_valid(key: bytes, token: str, survey_id: int, device: str) -> bool:
    nonce, _, _ = token.partition(".")
    expected = form_token(key, nonce, survey_id, device)
    # as bytes: compare_digest refuses non-ASCII text, which anyone may send
    return bool(nonce) and hmac.compare_digest(token.encode(), expected.encode())


@dataclass(frozen=True)
class VersionCover:
    """A version: its survey, and the contracts and categories it covers."""

    id: int
    survey: int
    contract_ids: tuple[int, ...]
    categories: tuple[str, ...]

    def covers(self, contract_id: int, category: str) -> bool:
        return contract_id in self.contract_ids or category in self.categories


def tallies_by_contract(
    categories: dict[int, str], versions: Iterable[VersionCover], counts: dict[int, Tally]
) -> dict[int, Tally]:
    """Each contract's month (§10): the answers to every version covering it, pooled. An
    answer to a survey covering two contracts counts for both."""
    versions = list(versions)
    return {
        cid: sum((counts.get(v.id, Tally()) for v in versions if v.covers(cid, category)), Tally())
        for cid, category in categories.items()
    }


@dataclass(frozen=True)
class ResultRow:
    contract_id: int
    location_id: int
    answers: int
    satisfied: int
    quota: int
    shortfall: int

    @property
    def share(self) -> Fraction | None:
        return Tally(self.answers, self.satisfied).share


def result_rows(
    categories: dict[int, str],
    versions: Iterable[VersionCover],
    counts: dict[tuple[int, int], Tally],
    quotas: dict[tuple[int, int], int],
) -> list[ResultRow]:
    """Per contract and ward: the month's answers covering the contract (`counts` by
    (version, ward)), and the quotas of the surveys whose latest version covers it (`quotas`
    by (survey, ward)) with their shortfall, each survey's own answers against its own quota.
    Answers below quota still count; the shortfall is only shown."""
    versions = list(versions)
    latest: dict[int, VersionCover] = {}
    for v in sorted(versions, key=lambda v: v.id):
        latest[v.survey] = v
    by_version = {v.id: v for v in versions}
    survey_answers: dict[tuple[int, int], int] = {}
    version_counts: dict[int, list[tuple[int, Tally]]] = {}
    for (version_id, ward), tally in counts.items():
        key = (by_version[version_id].survey, ward)
        survey_answers[key] = survey_answers.get(key, 0) + tally.answers
        version_counts.setdefault(version_id, []).append((ward, tally))
    survey_quotas: dict[int, list[tuple[int, int]]] = {}
    for (survey, ward), wanted in quotas.items():
        if survey in latest:
            survey_quotas.setdefault(survey, []).append((ward, wanted))
    # Which versions (with answers) and latest versions (with quotas) cover a contract, found
    # through its id and its category instead of asking every version for every contract.
    answered = _CoverIndex([by_version[v] for v in version_counts])
    quoted = _CoverIndex([latest[s] for s in survey_quotas])
    rows = []
    # Contracts covered by the same versions have the same wards and figures: worked out once.
    figures: dict[tuple, list[tuple[int, int, int, int, int]]] = {}
    for cid, category in categories.items():
        with_answers = answered.covering(cid, category)
        with_quotas = quoted.covering(cid, category)
        key = (tuple(v.id for v in with_answers), tuple(v.id for v in with_quotas))
        if key not in figures:
            figures[key] = _ward_figures(
                with_answers, with_quotas, version_counts, survey_quotas, survey_answers
            )
        rows += [ResultRow(cid, *ward) for ward in figures[key]]
    return rows


def _ward_figures(
    with_answers: list[VersionCover],
    with_quotas: list[VersionCover],
    version_counts: dict[int, list[tuple[int, Tally]]],
    survey_quotas: dict[int, list[tuple[int, int]]],
    survey_answers: dict[tuple[int, int], int],
) -> list[tuple[int, int, int, int, int]]:
    """(ward, answers, satisfied, quota, shortfall) of a contract covered by these versions."""
    tallies: dict[int, Tally] = {}
    for version in with_answers:
        for ward, tally in version_counts[version.id]:
            tallies[ward] = tallies.get(ward, Tally()) + tally
    quota: dict[int, int] = {}
    short: dict[int, int] = {}
    for version in with_quotas:
        for ward, wanted in survey_quotas[version.survey]:
            quota[ward] = quota.get(ward, 0) + wanted
            missing = shortfall(wanted, survey_answers.get((version.survey, ward), 0))
            short[ward] = short.get(ward, 0) + missing
    figures = []
    for ward in sorted(set(tallies) | set(quota)):
        tally = tallies.get(ward, Tally())
        figures.append(
            (ward, tally.answers, tally.satisfied, quota.get(ward, 0), short.get(ward, 0))
        )
    return figures


class _CoverIndex:
    """Versions by the contracts and categories they cover: covering() gives the versions
    for which VersionCover.covers() holds, each once, in the order given."""

    def __init__(self, versions: list[VersionCover]) -> None:
        self.by_contract: dict[int, list[int]] = {}
        self.by_category: dict[str, list[int]] = {}
        self.versions = versions
        for place, v in enumerate(versions):
            for cid in set(v.contract_ids):
                self.by_contract.setdefault(cid, []).append(place)
            for category in set(v.categories):
                self.by_category.setdefault(category, []).append(place)

    def covering(self, contract_id: int, category: str) -> list[VersionCover]:
        places = self.by_contract.get(contract_id, []) + self.by_category.get(category, [])
        return [self.versions[p] for p in sorted(set(places))]


def parse_quota_lines(text: str) -> tuple[list[tuple[str, int]], list[FieldError]]:
    """The builder's wards box: one ward a line, its place code (or full name) then the
    monthly quota, e.g. "ZY-5E 30"."""
    pairs, errors = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        label, _sep, quota = line.strip().rpartition(" ")
        if not label.strip() or not quota.isdigit():
            errors.append(
                FieldError(
                    "quotas",
                    "format",
                    _(
                        "Wards, line %(line)s: write a place code, then a whole number.",
                        line=number,
                    ),
                )
            )
            continue
        pairs.append((label.strip(), int(quota)))
    return pairs, errors
