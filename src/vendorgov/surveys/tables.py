"""Survey tables. The migration creates them with raw DDL (its unique indexes are the
one-answer rules); these classes are what the service queries through."""

from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import Date
from piccolo.table import Table


class Survey(Table, tablename="survey"):
    title = Varchar(length=200)
    status = Varchar(length=10, default="closed")  # open or closed
    created_at = Timestamptz()
    updated_at = Timestamptz()


class SurveyVersion(Table, tablename="survey_version"):
    """What an answer answered: the questions, audience and what the survey covers. A version
    that has answers is never changed; editing the survey then makes the next version."""

    survey = Integer()
    number = Integer()
    audience = Varchar(length=10)  # patient or staff
    questions = Text()  # JSON list of question texts
    contracts = Text(default="[]")  # JSON list of contract ids
    categories = Text(default="[]")  # JSON list of service categories
    created_at = Timestamptz()
    created_by = Varchar(length=150)


class SurveyQuota(Table, tablename="survey_quota"):
    """A ward where the survey is handed out, and how many answers a month it should collect."""

    survey = Integer()
    location_id = Integer()
    monthly_quota = Integer()


class SurveyAnswer(Table, tablename="survey_answer"):
    survey = Integer()
    version = Integer()
    location_id = Integer()
    answered_on = Date()  # the hospital's day
    answered_at = Timestamptz()
    device = Varchar(length=64)  # keyed hash of the device cookie
    form = Varchar(length=64)  # keyed hash of the form's one-time token
    scores = Text()  # JSON list, one score 1-5 or null (skipped) per question
    score_sum = Integer()
    answered = Integer()
    comment = Text(default="")
