"""The public showcase: a handed-over deliverable the partner chose to publish, with a summary,
the partner's word on its use, and the files and links marked public (dissemination).

A publication is public while `published_at` is set and `withdrawn_at` is not, the deliverable
is handed over and the agreement's consent to publish results is given
(workspace/showcase/services.py `public_query`). Withdrawing keeps the row, so its page answers 410.
"""
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

publication_file = Table(
    "publication_file", db.metadata,
    Column("publication_id", ForeignKey("publication.id", ondelete="CASCADE"), primary_key=True),
    Column("file_id", ForeignKey("stored_file.id", ondelete="CASCADE"), primary_key=True, index=True),
)

publication_link = Table(
    "publication_link", db.metadata,
    Column("publication_id", ForeignKey("publication.id", ondelete="CASCADE"), primary_key=True),
    Column("link_id", ForeignKey("version_link.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Publication(db.Model):
    """One per deliverable, made on the first save of its draft; students and partners edit it,
    only a partner publishes and withdraws."""

    id: Mapped[int] = mapped_column(primary_key=True)
    deliverable_id: Mapped[int] = mapped_column(ForeignKey("deliverable.id", ondelete="CASCADE"), unique=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    # What the partner says about how the result is used (written by a partner only).
    partner_word: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    deliverable: Mapped["Deliverable"] = relationship()  # noqa: F821
    files: Mapped[list["StoredFile"]] = relationship(secondary=publication_file, order_by="StoredFile.id")  # noqa: F821
    links: Mapped[list["VersionLink"]] = relationship(secondary=publication_link, order_by="VersionLink.id")  # noqa: F821

    @property
    def project(self):
        return self.deliverable.project

    @property
    def live(self) -> bool:
        """Published and not withdrawn (the deliverable and consent are checked by the services)."""
        return self.published_at is not None and self.withdrawn_at is None

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None
