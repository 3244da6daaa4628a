"""The ORM models, one module per aggregate; re-exported here so Alembic sees them all."""

from app.models.accounts import AuditEvent, RecoveryCode, User, UserRegion
from app.models.applications import EvangelistApplication
from app.models.bookings import Booking, CalendarFeed, VisitSlot
from app.models.exports import ExportJob
from app.models.feedback import RequestFeedback
from app.models.geography import Municipality, Prefecture
from app.models.ideas import (
    Idea,
    IdeaComment,
    IdeaPageViews,
    IdeaProfile,
    IdeaReport,
    IdeaTheme,
    IdeaThemeParticipant,
    IdeaViewSalt,
    IdeaVisitor,
    IdeaVote,
    ModerationEvent,
    idea_topics,
)
from app.models.network import (
    Community,
    CommunityRegistration,
    CommunityStatusChange,
    Evangelist,
    Topic,
    evangelist_skills,
)
from app.models.notices import Notice, NoticePreference
from app.models.outreach import OutreachCase, OutreachContact
from app.models.search import SearchDocument
from app.models.system import DataVersion
from app.models.use_cases import (
    UseCase,
    UseCaseAttachment,
    UseCaseLink,
    UseCaseTownAnswer,
    use_case_outcomes,
    use_case_topics,
    use_case_visits,
)
from app.models.workflow import (
    Assignment,
    BulkRun,
    Outcome,
    RequestAddition,
    RequestMessage,
    RequestNote,
    SupportRequest,
    Visit,
    request_topics,
    visit_topics,
)

__all__ = [
    "UseCase",
    "UseCaseAttachment",
    "UseCaseLink",
    "UseCaseTownAnswer",
    "use_case_outcomes",
    "use_case_topics",
    "use_case_visits",
    "Idea",
    "IdeaComment",
    "IdeaPageViews",
    "IdeaProfile",
    "IdeaReport",
    "IdeaTheme",
    "IdeaThemeParticipant",
    "IdeaViewSalt",
    "IdeaVisitor",
    "IdeaVote",
    "ModerationEvent",
    "idea_topics",
    "Assignment",
    "BulkRun",
    "AuditEvent",
    "Booking",
    "CalendarFeed",
    "Community",
    "DataVersion",
    "SearchDocument",
    "CommunityRegistration",
    "CommunityStatusChange",
    "Evangelist",
    "EvangelistApplication",
    "ExportJob",
    "Municipality",
    "Notice",
    "NoticePreference",
    "Outcome",
    "OutreachCase",
    "OutreachContact",
    "Prefecture",
    "RecoveryCode",
    "RequestAddition",
    "RequestFeedback",
    "RequestMessage",
    "RequestNote",
    "SupportRequest",
    "Topic",
    "User",
    "UserRegion",
    "Visit",
    "VisitSlot",
    "evangelist_skills",
    "request_topics",
    "visit_topics",
]
