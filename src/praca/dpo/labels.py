"""Plain-language words for the desk's codes (status, kind, outcome), in English message ids.

They are marked with `N_` for extraction and translated when shown, so one code table serves every
language: `_(STATUS_LABELS[case.status])` on a page, `translate(..., case.locale)` in an e-mail.
"""

from __future__ import annotations

from praca.dpo.models import CaseKind, CaseStatus, Channel, DataSubjectRight, QuestionTopic, ReportOutcome


def N_(message: str) -> str:
    """Mark a message id for extraction without translating it now."""
    return message


STATUS_LABELS: dict[str, str] = {
    CaseStatus.RECEIVED: N_("Received"),
    CaseStatus.ACKNOWLEDGED: N_("Acknowledged"),
    CaseStatus.IN_PROGRESS: N_("In progress"),
    CaseStatus.WAITING_CITIZEN: N_("Waiting for the citizen"),
    CaseStatus.ANSWERED: N_("Answered"),
    CaseStatus.CLOSED: N_("Closed"),
    CaseStatus.REJECTED: N_("Rejected"),
}

# What each status means for the person who wrote to us.
STATUS_EXPLANATIONS: dict[str, str] = {
    CaseStatus.RECEIVED: N_("We have received your message and will read it soon."),
    CaseStatus.ACKNOWLEDGED: N_("The Data Protection Officer's team has read your message."),
    CaseStatus.IN_PROGRESS: N_("We are looking into it."),
    CaseStatus.WAITING_CITIZEN: N_("We need more information from you: please read our last reply and answer below."),
    CaseStatus.ANSWERED: N_("We have answered: read our reply below."),
    CaseStatus.CLOSED: N_("We have finished with this request."),
    CaseStatus.REJECTED: N_("We could not take this request forward: our reply explains why."),
}

KIND_LABELS: dict[str, str] = {
    CaseKind.QUESTION: N_("Question"),
    CaseKind.UNLISTED_DEVICE: N_("Report of a device not in the register"),
    CaseKind.RIGHTS_REQUEST: N_("Request to exercise a data-protection right"),
    CaseKind.COMPLAINT: N_("Complaint to the Inhabitant Ombudsman"),
}

TOPIC_LABELS: dict[str, str] = {
    QuestionTopic.DEVICE: N_("A device in public space"),
    QuestionTopic.WIFI: N_("The city's public Wi-Fi"),
    QuestionTopic.PRIVACY_POLICY: N_("The privacy policy"),
    QuestionTopic.OTHER: N_("Something else"),
}

# The rights of GDPR Articles 15 to 22, each with one line a citizen can act on.
RIGHT_LABELS: dict[str, str] = {
    DataSubjectRight.ACCESS: N_("Access (Article 15)"),
    DataSubjectRight.RECTIFICATION: N_("Rectification (Article 16)"),
    DataSubjectRight.ERASURE: N_("Erasure (Article 17)"),
    DataSubjectRight.RESTRICTION: N_("Restriction of processing (Article 18)"),
    DataSubjectRight.PORTABILITY: N_("Data portability (Article 20)"),
    DataSubjectRight.OBJECTION: N_("Objection (Article 21)"),
    DataSubjectRight.AUTOMATED_DECISION: N_("Automated decisions (Article 22)"),
}
RIGHT_EXPLANATIONS: dict[str, str] = {
    DataSubjectRight.ACCESS: N_("Find out whether the city holds data about you, and get a copy of it."),
    DataSubjectRight.RECTIFICATION: N_("Have data about you that is wrong or incomplete corrected."),
    DataSubjectRight.ERASURE: N_("Have data about you deleted when there is no longer a reason to keep it."),
    DataSubjectRight.RESTRICTION: N_("Have the city keep your data but stop using it while a question is settled."),
    DataSubjectRight.PORTABILITY: N_(
        "Receive the data you gave the city in a common format, or have it sent to another organisation."),
    DataSubjectRight.OBJECTION: N_("Ask the city to stop using your data for a purpose you object to."),
    DataSubjectRight.AUTOMATED_DECISION: N_(
        "Not be subject to a decision made only by a computer that significantly affects you; ask for a person "
        "to review it."),
}

OUTCOME_LABELS: dict[str, str] = {
    ReportOutcome.ALREADY_REGISTERED: N_("Already in the register"),
    ReportOutcome.REGISTERED_NOW: N_("Added to the register"),
    ReportOutcome.NOT_A_DEVICE: N_("Not a data-gathering device"),
}

# The public reply that closing a report writes, in the citizen's language. {url}: the device card.
OUTCOME_REPLIES: dict[str, str] = {
    ReportOutcome.ALREADY_REGISTERED: N_(
        "Thank you for your report. This device is already in the register: you can read what it "
        "gathers, why, and who runs it here: {url}"),
    ReportOutcome.REGISTERED_NOW: N_(
        "Thank you for your report. This device was not yet in the register, and we have now added it: "
        "you can read what it gathers, why, and who runs it here: {url}"),
    ReportOutcome.NOT_A_DEVICE: N_(
        "Thank you for your report. We checked, and this is not a device that gathers data, so it does "
        "not belong in the register."),
}

CHANNEL_LABELS: dict[str, str] = {
    Channel.WEB: N_("Web form"),
    Channel.EMAIL: N_("E-mail"),
    Channel.PHONE: N_("Phone"),
    Channel.LETTER: N_("Letter"),
    Channel.IN_PERSON: N_("In person"),
}
