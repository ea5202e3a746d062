"""Staff download the documents citizens sent with a case.

Any staff role that can see the case may download its documents; out of sight is "not found", as for
the case itself. A document is always a download, never shown inline: a PDF is kept byte for byte
(only its type and size were checked), so the browser must not render or sniff it on our origin.
`X-Content-Type-Options: nosniff` comes from the security middleware on every response. The file is
named after the case's reference, never after the citizen's own file name, which is not kept.
Each download is in the audit log: a document may hold anything about the citizen (an ID card, a
medical letter), so who opened it, and when, must be answerable.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from praca.core import audit, files
from praca.core.auth import AnyStaff
from praca.core.db import DbSession
from praca.core.errors import NotFound
from praca.dpo import intake, service

router = APIRouter(prefix="/staff", include_in_schema=False)
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def download_name(reference: str, attachment_public_id: str, media_type: str) -> str:
    """P-2026-000123-1f0c9a2b.pdf: which case, which document, what type; nothing the citizen chose."""
    return f"{reference}-{attachment_public_id[:8]}.{EXTENSIONS.get(media_type, 'bin')}"


@router.get("/cases/{public_id}/attachments/{attachment_public_id}", name="dpo_case_attachment")
def case_attachment(request: Request, session: DbSession, user: AnyStaff, public_id: str,
                    attachment_public_id: str) -> Response:
    case = service.get_case(session, user, public_id)
    attachment = intake.attachment_of(session, case, attachment_public_id)
    path = files.resolve(intake.document_dir(request.app.state.settings), attachment.stored_name)
    if path is None:
        raise NotFound("The document's file is missing.")
    audit.record(session, user.actor, "dpo.case.document_downloaded", service.audit_subject(case),
                 {"attachment": attachment.public_id})
    session.commit()
    return FileResponse(path, media_type=attachment.media_type, content_disposition_type="attachment",
                        filename=download_name(case.reference, attachment.public_id, attachment.media_type),
                        headers={"Cache-Control": "private, no-store"})
