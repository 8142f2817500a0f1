"""All models, imported here so Alembic and the app see one metadata."""
from .activity import Activity
from .course import Course, CourseStaff
from .invitation import INVITABLE_ROLES, Invitation
from .organisation import Organisation, OrganisationMember
from .project import MEMBER_ROLES, PARTNER, STUDENT, Project, ProjectMember
from .user import PasswordResetToken, User

__all__ = [
    "Activity", "Course", "CourseStaff", "INVITABLE_ROLES", "Invitation", "MEMBER_ROLES",
    "Organisation", "OrganisationMember", "PARTNER", "PasswordResetToken", "Project",
    "ProjectMember", "STUDENT", "User",
]
