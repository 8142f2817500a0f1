"""SQLAlchemy fires commit and rollback events for savepoints too (`begin_nested()`, used where a unique
constraint decides a race). What listens for the request's commit must wait for the real one."""
import pytest
from sqlalchemy.exc import IntegrityError

from workspace.extensions import db
from workspace.models import ProjectMember, ProjectSummary

from . import factories as f
from .test_project_summary import full, stored


def _failed_savepoint(world):
    """What a service does when it loses a race: a savepoint whose INSERT breaks a unique constraint."""
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(ProjectMember(project_id=world.project.id, user_id=world.student.id, role="student"))
            db.session.flush()


def test_a_rolled_back_savepoint_keeps_the_dashboard_summary_of_the_rest_of_the_transaction(world):
    db.session.query(ProjectSummary).delete()
    db.session.commit()
    f.create_goal(world.project, world.student, title="Made before the savepoint")
    db.session.flush()
    _failed_savepoint(world)
    db.session.commit()
    assert stored(world.project.id) == full(world.project.id)
    assert stored(world.project.id) is not None


def test_seeding_in_a_request_context_keeps_everything_after_a_savepoint(app):
    """The demo data (and a request) may release savepoints before the real commit; nothing is lost."""
    from workspace.models import User
    from workspace.seed import seed_demo

    with app.test_request_context():
        seed_demo()
    db.session.commit()
    assert db.session.scalar(db.select(User).where(User.email == "student1@example.org")) is not None
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) > 20
