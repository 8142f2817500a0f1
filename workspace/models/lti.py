"""LTI 1.3: the learning platforms registered here, their courses (contexts), the people they sign in,
the tool's own key, and the short-lived values of a launch in progress (state, nonce, launch data)."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow


class LtiPlatform(db.Model):
    """A learning platform (Canvas, Brightspace, Moodle…) registered by the operator: one client id of an issuer."""

    __tablename__ = "lti_platform"
    __table_args__ = (UniqueConstraint("issuer", "client_id", name="one_lti_registration_per_client"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    auth_login_url: Mapped[str] = mapped_column(String(500))
    auth_token_url: Mapped[str] = mapped_column(String(500))
    key_set_url: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    deployments: Mapped[list["LtiDeployment"]] = relationship(
        back_populates="platform", cascade="all, delete-orphan", order_by="LtiDeployment.deployment_id")

    @property
    def label(self) -> str:
        return self.name or self.issuer


class LtiDeployment(db.Model):
    """One installation of the tool in the platform; a launch from any other deployment id is refused."""

    __tablename__ = "lti_deployment"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id", name="one_lti_deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"), index=True)
    deployment_id: Mapped[str] = mapped_column(String(255))

    platform: Mapped[LtiPlatform] = relationship(back_populates="deployments")


class LtiContext(db.Model):
    """A course of the platform, linked to at most one workspace course (and that course to one context)."""

    __tablename__ = "lti_context"
    __table_args__ = (
        UniqueConstraint("platform_id", "context_id", name="one_lti_context"),
        UniqueConstraint("course_id", name="one_lti_context_per_course"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"), index=True)
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255), default="")
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id", ondelete="SET NULL"))
    # The platform's Names and Role Provisioning Service for this context, from the latest launch.
    memberships_url: Mapped[str] = mapped_column(String(1000), default="")
    linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    platform: Mapped[LtiPlatform] = relationship()
    course: Mapped["Course | None"] = relationship()  # noqa: F821


class LtiAccount(db.Model):
    """The platform's person (issuer, sub) behind a workspace account."""

    __tablename__ = "lti_account"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="one_lti_account"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped["User"] = relationship()  # noqa: F821


class LtiToolKey(db.Model):
    """The tool's RSA key (PEM) when LTI_PRIVATE_KEY_FILE is not set: generated once, row 1 only."""

    __tablename__ = "lti_tool_key"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    private_key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LtiLaunchValue(db.Model):
    """pylti1p3's launch storage (nonces, state parameters, launch data) shared by every worker."""

    __tablename__ = "lti_launch_value"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


@dataclass
class LaunchedContext:
    """A verified launch someone holds in this browser: who launched, as what, from which context."""

    launch_id: str
    user_id: int
    instructor: bool
    deep_linking: bool
    platform: LtiPlatform
    context: LtiContext | None
    claims: dict
