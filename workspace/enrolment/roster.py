"""Reading a class list (CSV) and saying, row by row, what importing it would do; nothing is written here."""
import csv
import io
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import func

from ..extensions import db
from ..i18n import N_
from ..models import CourseEnrolment, CourseStaff, Invitation, Project, ProjectMember, User
from ..models.base import utcnow
from ..models.enrolment import LEFT

MAX_ROWS = 2000
EXAMPLE = ("name,email,student_number,project\n"
           "Noor Jansen,noor.jansen@example.org,s1234567,Fair food distribution\n"
           "Lucas de Vries,lucas.devries@example.org,s2345678,\n")
COLUMNS = ("name", "email", "student_number", "project")
# Header cells we recognise (lower case, spaces and dashes removed), English and Dutch.
HEADERS = {
    "name": "name", "naam": "name", "fullname": "name",
    "email": "email", "emailaddress": "email", "mail": "email",
    "studentnumber": "student_number", "studentnummer": "student_number", "number": "student_number",
    "studentid": "student_number",
    "project": "project", "team": "project", "projecttitle": "project",
}

# What a row does when imported.
INVITE = "invite"          # no account: one invitation e-mail
ENROL = "enrol"            # an account: enrolled at once (and added to the team when given)
UPDATE = "update"          # enrolled already: joins the named team or gets the student number
NO_CHANGE = "no_change"    # enrolled or invited already
ERROR = "error"
OUTCOME_LABELS = {INVITE: N_("invite (no account yet)"), ENROL: N_("enrol"), UPDATE: N_("update"),
                  NO_CHANGE: N_("no change"), ERROR: N_("error")}


class UnreadableFile(Exception):
    """The upload is no CSV text we can read; the message says why."""


@dataclass
class Row:
    line: int
    name: str
    email: str
    student_number: str = ""
    project_title: str = ""
    problems: list = field(default_factory=list)
    outcome: str = ""
    note: str = ""
    user: object = None
    enrolment: object = None
    project: object = None


def decode(data: bytes) -> str:
    """UTF-8 with or without a byte-order mark; line ends made plain so the text signs the same everywhere."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFile(_("The file is not UTF-8 text. Save it as \"CSV UTF-8\" and upload it again.")) from None
    if "\x00" in text:
        raise UnreadableFile(_("The file is not a CSV text file."))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _header(cells: list[str]) -> dict[str, int] | None:
    keys = [HEADERS.get("".join(c.lower().split()).replace("-", "").replace("_", "")) for c in cells]
    if "email" not in keys:
        return None
    return {key: index for index, key in enumerate(keys) if key is not None and key not in keys[:index]}


def parse(text: str) -> list[Row]:
    """Rows of the file: a header row in any column order, or name, email, student number, project."""
    lines = text.split("\n")
    first = next((line for line in lines if line.strip()), "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows, columns = [], None
    try:
        records = [(reader.line_num, cells) for cells in reader]
    except csv.Error as error:
        raise UnreadableFile(_("The file is not valid CSV: %(error)s", error=str(error))) from None
    for line, cells in records:
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if columns is None:
            columns = _header(cells)
            if columns is not None:
                continue
            columns = {key: index for index, key in enumerate(COLUMNS)}

        def cell(key, cells=cells):
            index = columns.get(key)
            return cells[index] if index is not None and index < len(cells) else ""

        rows.append(Row(line=line, name=cell("name"), email=cell("email").lower(),
                        student_number=cell("student_number"), project_title=cell("project")))
        if len(rows) > MAX_ROWS:
            raise UnreadableFile(_("The file has more than %(max)s students. Split it and import each part.",
                                   max=MAX_ROWS))
    if not rows:
        raise UnreadableFile(_("The file holds no students. Put one student on each line."))
    return rows


def _check_cells(rows: list[Row], projects: dict) -> None:
    seen_email, seen_number = {}, {}
    for row in rows:
        if not row.name:
            row.problems.append(_("The name is missing."))
        elif len(row.name) > 120:
            row.problems.append(_("The name is longer than 120 characters."))
        try:
            validate_email(row.email, check_deliverability=False)
        except EmailNotValidError:
            row.problems.append(_("\"%(email)s\" is not a valid e-mail address.", email=row.email) if row.email
                                else _("The e-mail address is missing."))
        if len(row.email) > 254:
            row.problems.append(_("The e-mail address is too long."))
        if row.email in seen_email:
            row.problems.append(_("The same e-mail address is on line %(line)s.", line=seen_email[row.email]))
        else:
            seen_email[row.email] = row.line
        if len(row.student_number) > 40:
            row.problems.append(_("The student number is longer than 40 characters."))
        elif row.student_number:
            if row.student_number in seen_number:
                row.problems.append(_("The same student number is on line %(line)s.",
                                      line=seen_number[row.student_number]))
            else:
                seen_number[row.student_number] = row.line
        if row.project_title:
            row.project = projects.get(row.project_title.casefold())
            if row.project is None:
                row.problems.append(_("This course has no project titled \"%(title)s\".", title=row.project_title))


def preview(course, rows: list[Row]) -> list[Row]:
    """Decide each row's outcome against the database in a fixed number of queries."""
    projects = {p.title.casefold(): p for p in db.session.scalars(db.select(Project).where(Project.course_id == course.id))}
    _check_cells(rows, projects)
    emails = [row.email for row in rows if row.email]
    users = {u.email.lower(): u for u in db.session.scalars(
        db.select(User).where(func.lower(User.email).in_(emails)))} if emails else {}
    ids = [u.id for u in users.values()]
    enrolments = {e.user_id: e for e in db.session.scalars(
        db.select(CourseEnrolment).where(CourseEnrolment.course_id == course.id, CourseEnrolment.user_id.in_(ids)))}
    teams = dict(db.session.execute(
        db.select(ProjectMember.user_id, Project.title).join(Project, Project.id == ProjectMember.project_id)
        .where(Project.course_id == course.id, ProjectMember.role == "student", ProjectMember.user_id.in_(ids))
    ).all())
    staff = set(db.session.scalars(db.select(CourseStaff.user_id).where(CourseStaff.course_id == course.id)))
    invited = set(db.session.scalars(
        db.select(func.lower(Invitation.email)).where(
            Invitation.course_id == course.id, Invitation.role == "student", Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None), Invitation.expires_at > utcnow(), func.lower(Invitation.email).in_(emails))
    )) if emails else set()
    for row in rows:
        row.user = users.get(row.email)
        if row.user is not None and row.user.id in staff:
            row.problems.append(_("%(email)s teaches this course.", email=row.email))
        if row.problems:
            row.outcome = ERROR
        elif row.user is None:
            row.outcome, row.note = (NO_CHANGE, _("Invited already.")) if row.email in invited else (INVITE, "")
        else:
            _existing(row, enrolments.get(row.user.id), teams.get(row.user.id))
    return rows


def _existing(row: Row, enrolment, team: str | None) -> None:
    """An account: enrol it, or say what changes for an enrolment that exists."""
    row.enrolment = enrolment
    joins_team = row.project is not None and team is None
    if row.project is not None and team is not None and team != row.project.title:
        row.note = _("In the team %(team)s already; not moved.", team=team)
    if enrolment is None:
        row.outcome = ENROL
    elif enrolment.status == LEFT:
        row.outcome, row.note = NO_CHANGE, _("Marked as left; re-enrol them on the students page.")
    elif joins_team or (row.student_number and row.student_number != enrolment.student_number):
        row.outcome = UPDATE
    else:
        row.outcome = NO_CHANGE
    if not joins_team:
        row.project = None  # only a team to join is acted on
