"""Generate a large synthetic dataset for `make bench` with bulk Core inserts (executemany).

    python bench/generate.py --scale 1 --database sqlite:////tmp/bench.db

Scale 1 is 1,000 projects: one bench course of 25 projects, one course of 100 projects and
filler courses of 25, each project with 8 members, 15 goals (revisions, comments),
20 responsibilities, 12 check-ups (feedback, action items, values pulse), 6 deliverables
(versions, small files) and 200 activity entries. The two bench courses exist at every scale,
so the dashboards measured are the same size on the full and the tenth dataset.
Every bench user's password is BENCH_PASSWORD.
"""
import argparse
import hashlib
import os
import random
import sys
import time
from datetime import date, datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

BENCH_PASSWORD = "bench-password-123"
GOAL_STATES = ("proposed", "agreed", "agreed", "achieved", "changes_requested", "proposed")
CHECKUP_STATES = ("confirmed",) * 8 + ("logged", "planned", "planned", "planned")
VALUE_KEYS = ("relevance", "meaningfulness", "reciprocity", "empowerment", "humbleness",
              "cultural_sensitivity", "co_creation", "sustainable_relationships", "transparency")
VERBS = ("created", "agreed", "requested changes", "commented", "logged", "confirmed", "uploaded")
LOREM = ("The team and the partner discussed the next steps for the neighbourhood survey and agreed "
         "to share the draft questionnaire with two volunteers before sending it out. ")


def plan(scale: float) -> list[int]:
    """Projects per course: the bench course (25), the big course (100), then fillers of 25."""
    total = max(125, round(1000 * scale))
    sizes = [25, 100]
    rest = total - 125
    while rest > 0:
        sizes.append(min(25, rest))
        rest -= 25
    return sizes


def generate(database: str, scale: float, seed: int = 1) -> dict:
    os.environ["DATABASE_URL"] = database
    os.environ.setdefault("SECRET_KEY", "bench-generate-" + os.urandom(16).hex())  # 32+ characters
    from sqlalchemy import insert

    from werkzeug.security import generate_password_hash

    from workspace import create_app
    from workspace.extensions import db
    from workspace.models import (
        ActionItem, Activity, Agreement, AgreementAcceptance, AgreementRole, AgreementVersion, CheckUp,
        CheckUpAttendee, ConsentItem, Course, CourseStaff, Deliverable, DeliverableVersion, FeedbackItem,
        Goal, GoalComment, GoalRevision, HandoverItem, Notification, Organisation, OrganisationMember,
        Project, ProjectMember, PulseRating, Responsibility, Review, StoredFile, User,
    )
    from workspace.models.agreement import role_holder

    rnd = random.Random(seed)
    app = create_app("production")
    now = datetime.now(timezone.utc).replace(microsecond=0)
    today = now.date()
    pw = generate_password_hash(BENCH_PASSWORD)  # hashed once
    rows: dict = {}

    def add(model, row):
        rows.setdefault(model, []).append(row)

    ids = {"user": 0, "org": 0, "project": 0, "goal": 0, "agreement": 0, "role": 0, "checkup": 0,
           "deliv": 0, "dver": 0, "file": 0, "aver": 0}

    def nid(kind):
        ids[kind] += 1
        return ids[kind]

    def user(email, name, teacher=False):
        uid = nid("user")
        add(User, dict(id=uid, email=email, name=name, password_hash=pw, is_teacher=teacher, created_at=now))
        return uid

    sizes = plan(scale)
    bench = {"courses": [], "student": None, "partner": None, "teacher25": None, "teacher100": None,
             "project": None, "partner_projects": []}
    bench_partner = user("bench-partner@example.org", "Bench Partner")
    bench["partner"] = "bench-partner@example.org"
    blob = (LOREM * 20).encode()[:1024]
    sha = hashlib.sha256(blob).hexdigest()
    for ci, size in enumerate(sizes, start=1):
        add(Course, dict(id=ci, name=f"Community project course {ci}", term="2026-2027", created_at=now))
        temail = f"teacher{ci}@example.org"
        tid = user(temail, f"Teacher {ci}", teacher=True)
        add(CourseStaff, dict(course_id=ci, user_id=tid))
        if ci == 1:
            bench["teacher25"] = temail
        if ci == 2:
            bench["teacher100"] = temail
        bench["courses"].append({"id": ci, "projects": size})
        for pj in range(size):
            pid = nid("project")
            oid = nid("org")
            add(Organisation, dict(id=oid, name=f"Organisation {oid}", description="A neighbourhood association.",
                                   themes="health, inclusion", created_at=now))
            start = today - timedelta(days=60)
            add(Project, dict(id=pid, course_id=ci, organisation_id=oid, title=f"Project {pid}: community garden",
                              problem_statement=LOREM, start_date=start, end_date=today + timedelta(days=60),
                              created_at=now))
            students, partners = [], []
            for k in range(6):
                email = f"s{pid}-{k}@example.org"
                uid = user(email, f"Student {pid}-{k}")
                students.append(uid)
                add(ProjectMember, dict(project_id=pid, user_id=uid, role="student", joined_at=now))
                if ci == 1 and pj == 0 and k == 0:
                    bench["student"], bench["project"] = email, pid
            for k in range(2):
                uid = user(f"p{pid}-{k}@example.org", f"Partner {pid}-{k}")
                partners.append(uid)
                add(ProjectMember, dict(project_id=pid, user_id=uid, role="partner", joined_at=now))
                add(OrganisationMember, dict(organisation_id=oid, user_id=uid))
            if ci == 1 and pj < 5:
                partners.append(bench_partner)
                add(ProjectMember, dict(project_id=pid, user_id=bench_partner, role="partner", joined_at=now))
                bench["partner_projects"].append(pid)
            members = students + partners
            # goals: proposed by the students, so the partners can answer them
            goal_ids = []
            for g in range(15):
                gid = nid("goal")
                goal_ids.append(gid)
                state = GOAL_STATES[g % len(GOAL_STATES)]
                created = now - timedelta(days=50 - g)
                add(Goal, dict(id=gid, project_id=pid, title=f"Goal {g + 1}: more residents join the garden",
                               description=LOREM, partner_need="Volunteers for the summer.",
                               success_criteria="Twenty residents take part.", target_date=today + timedelta(days=30),
                               state=state, proposer_side="student", proposer_id=students[g % 6], position=g,
                               revision_number=2, agreed_at=created if state in ("agreed", "achieved") else None,
                               state_changed_at=created, created_at=created, updated_at=created))
                for r in (1, 2):
                    add(GoalRevision, dict(goal_id=gid, number=r, title=f"Goal {g + 1}: more residents join",
                                           description=LOREM, author_id=students[g % 6], author_side="student",
                                           created_at=created))
                for c in range(3):
                    add(GoalComment, dict(goal_id=gid, author_id=members[c % len(members)], kind="comment",
                                          body=f"Comment {c}: {LOREM}", created_at=created + timedelta(hours=c)))
            # agreement
            aid = nid("agreement")
            add(Agreement, dict(id=aid, project_id=pid, cadence_days=14, checkup_channel="Video call",
                                number=1, created_at=now, updated_at=now))
            for name, holder in (("Team lead", students[0]), ("Partner contact", partners[0])):
                rid = nid("role")
                add(AgreementRole, dict(id=rid, agreement_id=aid, name=name, description="Keeps contact."))
                add(role_holder, dict(role_id=rid, user_id=holder))
            for r in range(20):
                add(Responsibility, dict(agreement_id=aid, what=f"Promise {r + 1}: share the minutes",
                                         side=("students", "partner", "teacher")[r % 3], person_id=members[r % 8],
                                         due_date=today + timedelta(days=r - 10),
                                         done_at=now - timedelta(days=1) if r % 2 else None, note="", created_at=now))
            for kind in ("publish_results", "name_and_logo", "data"):
                add(ConsentItem, dict(agreement_id=aid, kind=kind, state="given", decided_by_id=partners[0],
                                      decided_at=now))
            avid = nid("aver")
            add(AgreementVersion, dict(id=avid, agreement_id=aid, number=1, snapshot={"cadence_days": 14},
                                       created_at=now, created_by_id=students[0]))
            for uid in members:
                add(AgreementAcceptance, dict(agreement_version_id=avid, user_id=uid, accepted_at=now))
            # check-ups
            for c in range(12):
                cid = nid("checkup")
                state = CHECKUP_STATES[c]
                when = now - timedelta(days=7 * (8 - c))
                add(CheckUp, dict(id=cid, project_id=pid, planned_at=when, channel="video_call", agenda=LOREM,
                                  state=state, summary=LOREM if state != "planned" else "",
                                  decisions="Share the draft." if state != "planned" else "",
                                  planned_by_id=students[0],
                                  logged_by_id=students[0] if state != "planned" else None,
                                  logged_at=when if state != "planned" else None,
                                  confirmed_by_id=partners[0] if state == "confirmed" else None,
                                  confirmed_at=when if state == "confirmed" else None, created_at=when))
                for uid in (students[0], students[1], partners[0]):
                    add(CheckUpAttendee, dict(checkup_id=cid, user_id=uid))
                add(CheckUpAttendee, dict(checkup_id=cid, guest_name="A resident"))
                if state == "planned":
                    continue
                for f in range(2):
                    add(FeedbackItem, dict(checkup_id=cid, project_id=pid, raised_by=("partner", "students")[f],
                                           text="Involve the residents earlier.", state=("integrated", "open")[f],
                                           goal_id=goal_ids[c], integrated_where="Goal 1" if f == 0 else "",
                                           added_by_id=students[0], created_at=when))
                    add(ActionItem, dict(checkup_id=cid, project_id=pid, text="Send the minutes",
                                         owner_id=members[(c + f) % 8], due_date=when.date() + timedelta(days=7),
                                         done=c < 8, done_at=when if c < 8 else None, created_at=when))
                for uid, side in ((students[0], "student"), (partners[0], "partner")):
                    for key in VALUE_KEYS:
                        add(PulseRating, dict(checkup_id=cid, project_id=pid, user_id=uid, side=side,
                                              value_key=key, score=rnd.randint(2, 5), updated_at=when))
            # deliverables
            for d in range(6):
                did = nid("deliv")
                state = ("draft", "in_review", "approved", "handed_over", "changes_requested", "draft")[d]
                add(Deliverable, dict(id=did, project_id=pid, title=f"Deliverable {d + 1}: toolkit", kind="toolkit",
                                      audience="Residents", language="English", description=LOREM, state=state,
                                      created_by_id=students[0], created_at=now, state_changed_at=now,
                                      updated_at=now))
                for v in (1, 2):
                    vid = nid("dver")
                    add(DeliverableVersion, dict(id=vid, deliverable_id=did, number=v, note="Revised.",
                                                 created_by_id=students[0], created_at=now,
                                                 submitted_at=now if state != "draft" else None,
                                                 submitted_by_id=students[0] if state != "draft" else None))
                    fid = nid("file")
                    add(StoredFile, dict(id=fid, project_id=pid, version_id=vid, original_name=f"toolkit-v{v}.txt",
                                         content_type="text/plain", size=len(blob), sha256=sha, data=blob,
                                         uploaded_by_id=students[0], created_at=now))
                    if pid == bench["project"] and "file" not in bench:
                        bench["file"] = fid
                    if v == 2 and state not in ("draft", "in_review"):
                        add(Review, dict(version_id=vid, reviewer_id=partners[0],
                                         decision="changes_requested" if state == "changes_requested" else "approved",
                                         comment="Looks good.", created_at=now))
                for h in range(3):
                    add(HandoverItem, dict(deliverable_id=did, label=f"Checklist item {h + 1}", position=h,
                                           added_by_id=students[0]))
            # activity
            for a in range(200):
                add(Activity, dict(actor_id=members[a % len(members)], course_id=ci, project_id=pid,
                                   verb=VERBS[a % len(VERBS)], subject_type="goal", subject_id=goal_ids[a % 15],
                                   summary=f"Someone {VERBS[a % len(VERBS)]} the goal “Goal {a % 15 + 1}”",
                                   before=None, created_at=now - timedelta(minutes=300 * (200 - a))))
            for uid in (students[0], partners[0]):
                for n in range(5):
                    add(Notification, dict(user_id=uid, project_id=pid, kind="goal", key=f"bench-{pid}-{n}",
                                           text="A goal waits for you.", url=f"/projects/{pid}", created_at=now))

    order = [User, Course, CourseStaff, Organisation, Project, ProjectMember, OrganisationMember, Goal, GoalRevision,
             GoalComment, Agreement, AgreementRole, role_holder, Responsibility, ConsentItem, AgreementVersion,
             AgreementAcceptance, CheckUp, CheckUpAttendee, FeedbackItem, ActionItem, PulseRating, Deliverable,
             DeliverableVersion, StoredFile, Review, HandoverItem, Activity, Notification]
    counts = {}
    with app.app_context():
        db.drop_all()
        db.create_all()
        with db.engine.begin() as conn:
            for model in order:
                table = getattr(model, "__table__", model)
                batch = _uniform(table, rows.get(model, []))
                for i in range(0, len(batch), 5000):
                    conn.execute(insert(table), batch[i:i + 5000])
                counts[table.name] = len(batch)
        from workspace.dashboard.summary import rebuild_all

        rebuild_all()  # the rows went in as bulk SQL: the dashboard's summaries from them
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            from sqlalchemy import text
            with db.engine.begin() as conn:
                for table in db.metadata.sorted_tables:
                    if "id" in table.c and table.c.id.autoincrement is not False and len(table.primary_key) == 1:
                        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                                          f"coalesce((SELECT max(id) FROM \"{table.name}\"), 0) + 1, false)"))
                conn.execute(text("ANALYZE"))
        else:
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
    bench["projects_total"] = sum(sizes)
    bench["rows"] = sum(counts.values())
    bench["password"] = BENCH_PASSWORD
    return bench


def _uniform(table, batch: list[dict]) -> list[dict]:
    """executemany needs the same keys in every row: fill gaps with the column's default."""
    keys = set().union(*batch) if batch else set()
    fill = {}
    for key in keys:
        default = table.c[key].default
        value = None
        if default is not None and default.is_scalar:
            value = default.arg
        fill[key] = value
    return [row if len(row) == len(keys) else {**fill, **row} for row in batch]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--database", required=True)
    args = parser.parse_args()
    started = time.monotonic()
    info = generate(args.database, args.scale)
    print(f"generated {info['projects_total']} projects, {info['rows']} rows in "
          f"{time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
