"""All models, imported here so Alembic and the app see one metadata."""
from .activity import Activity
from .after_project import AfterProjectQuestion
from .audit import AuditEvent
from .calendar_feed import CalendarFeed
from .agreement import (
    Agreement, AgreementAcceptance, AgreementRole, AgreementVersion, ConsentItem, Responsibility,
)
from .checkup import (
    ActionItem, CheckUp, CheckUpAttendee, Correction, CourseValueSetting, CoursePrompt, FeedbackItem, PulseRating,
)
from .course import Course, CourseStaff
from .enrolment import ENROLLED, LEFT, CourseEnrolment, CourseJoinCode
from .email_change import EmailChange
from .evaluation import EvaluationAnswer, PartnerEvaluation
from .peer_feedback import PeerRating, PeerRound
from .deliverable import (
    Deliverable, DeliverableVersion, HandoverItem, Review, StoredFile, VersionLink, deliverable_goal,
)
from .identity import ExternalIdentity
from .goal import Goal, GoalComment, GoalRevision, RootCauseRevision
from .invitation import INVITABLE_ROLES, Invitation
from .lti import LaunchedContext, LtiAccount, LtiContext, LtiDeployment, LtiLaunchValue, LtiPlatform, LtiToolKey
from .notification import EmailPreference, Notification, OutboxMessage, SignInToken
from .organisation import Organisation, OrganisationMember
from .organisation_profile import Introduction, IntroductionSide, OrganisationProfile
from .reflection import Reflection, ReflectionResponse
from .showcase import Publication, publication_file, publication_link
from .summary import ProjectSummary
from .team_formation import ChoiceRound, Placement, ProjectChoice
from .question import PartnerQuestion, QuestionEvent
from .project import MEMBER_ROLES, PARTNER, STUDENT, Project, ProjectMember
from .user import PasswordResetToken, User

__all__ = [
    "LaunchedContext", "LtiAccount", "LtiContext", "LtiDeployment", "LtiLaunchValue", "LtiPlatform", "LtiToolKey",
    "PartnerQuestion", "QuestionEvent",
    "CourseEnrolment", "CourseJoinCode", "ENROLLED", "LEFT",
    "AfterProjectQuestion",
    "EvaluationAnswer", "PartnerEvaluation", "PeerRating", "PeerRound",
    "Reflection", "ReflectionResponse",
    "Publication", "publication_file", "publication_link",
    "ProjectSummary",
    "ChoiceRound", "Placement", "ProjectChoice",
    "EmailPreference", "Notification", "OutboxMessage", "SignInToken",
    "AuditEvent",
    "ExternalIdentity",
    "CalendarFeed",
    "EmailChange",
    "Deliverable", "DeliverableVersion", "HandoverItem", "Review", "StoredFile", "VersionLink", "deliverable_goal",
    "ActionItem", "CheckUp", "CheckUpAttendee", "Correction", "CourseValueSetting", "CoursePrompt", "FeedbackItem", "PulseRating",
    "Activity", "Agreement", "AgreementAcceptance", "AgreementRole", "AgreementVersion", "ConsentItem", "Responsibility", "Course", "CourseStaff", "Goal", "GoalComment", "GoalRevision", "INVITABLE_ROLES", "Invitation", "MEMBER_ROLES",
    "Introduction", "IntroductionSide", "OrganisationProfile",
    "Organisation", "OrganisationMember", "PARTNER", "PasswordResetToken", "Project",
    "ProjectMember", "RootCauseRevision", "STUDENT", "User",
]
