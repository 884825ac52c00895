"""The contract document (合同 with its 服务水平协议 annex) of one version, as PDF."""

from __future__ import annotations

from litestar import Response

from vendorgov.contracts import rules
from vendorgov.documents import rendered_pdf
from vendorgov.files.responses import download
from vendorgov.settings import get_settings


async def version_pdf(contract: dict, version: dict) -> bytes:
    return await rendered_pdf(
        "documents/contract.html",
        contract=contract,
        version=version,
        terms=version["terms_obj"],
        hospital=get_settings().hospital_name,
        clause_kinds=rules.CLAUSE_KINDS,
        penalty_triggers=rules.PENALTY_TRIGGERS,
        grade_labels=rules.GRADE_LABELS,
    )


async def pdf_response(contract: dict, version: dict) -> Response[bytes]:
    name = f"{contract['number']}-v{version['number']}.pdf"
    return download(await version_pdf(contract, version), name, "application/pdf", inline=True)
