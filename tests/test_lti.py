"""LTI 1.3 through HTTP: the platform simulator (tests/lti_platform.py) initiates the login, signs the
launch and serves its key set, token endpoint and class list over real HTTP; the tool is the app's test client."""
import pytest

from workspace.extensions import db
from workspace.models import (
    ENROLLED, LEFT, Activity, AuditEvent, CourseEnrolment, CourseStaff, LtiAccount, LtiContext, LtiPlatform, User,
)

from . import factories
from .lti_platform import INSTRUCTOR, LEARNER, FIELD_RE, member, new_key, running_platform, verify

CONTEXT = ("course-101", "Community Lab 2026")


@pytest.fixture
def platform(client):
    sim = running_platform()
    sim.reset()
    sim.register()
    sim.tool_jwks = client.get("/lti/jwks.json").get_json()
    return sim


def start(client, platform, person, method="post", **launch):
    """The platform's login initiation, the tool's redirect, the platform's signed answer: the form to post back."""
    params = platform.initiation(person, **launch)
    response = client.post("/lti/login", data=params) if method == "post" else client.get("/lti/login", query_string=params)
    assert response.status_code == 302, response.get_data(as_text=True)
    return platform.authorize(response.headers["Location"])


def launch(client, platform, person, **kwargs):
    form = start(client, platform, person, **kwargs)
    return client.post("/lti/launch", data=form), form


TEACHER = dict(sub="t-1", name="Tom Docent", roles=[INSTRUCTOR], email="tom.docent@uni.example")
LEARNER_1 = dict(sub="s-1", name="Sara Student", roles=[LEARNER], email="sara@student.example")


def test_first_instructor_launch_creates_and_links_a_course_then_goes_straight_there(client, platform):
    response, _ = launch(client, platform, platform.person(**TEACHER), method="get")
    assert response.status_code == 303 and "/lti/launches/lti1p3-launch-" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "Community Lab 2026" in page.get_data(as_text=True)
    tom = db.session.scalar(db.select(User).filter_by(email="tom.docent@uni.example"))
    assert tom.is_teacher and db.session.scalar(db.select(LtiAccount).filter_by(subject="t-1")).user_id == tom.id

    missing = client.post_form(response.headers["Location"], {"course": "new", "name": ""},
                               token_from=response.headers["Location"])
    assert missing.status_code == 422 and "Give the new course a name." in missing.get_data(as_text=True)
    made = client.post_form(response.headers["Location"], {"course": "new", "name": "Community Lab", "term": "2026"},
                            token_from=response.headers["Location"])
    assert made.status_code == 303
    context = db.session.scalar(db.select(LtiContext).filter_by(context_id="course-101"))
    assert context.course.name == "Community Lab"
    assert db.session.scalar(db.select(CourseStaff).filter_by(course_id=context.course_id, user_id=tom.id))
    assert made.headers["Location"].endswith(f"/courses/{context.course_id}")
    assert {"created", "linked"} <= set(db.session.scalars(db.select(Activity.verb).where(
        Activity.course_id == context.course_id)))
    assert "Sync the class" in client.get(made.headers["Location"]).get_data(as_text=True)

    client.delete_cookie("session")
    again, _ = launch(client, platform, platform.person(**TEACHER))
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/courses/{context.course_id}")


def test_an_instructor_links_one_of_their_own_courses(client, platform, world):
    # linked by e-mail to the existing account, which teaches world.course
    person = platform.person(sub="t-9", name="Tina", roles=[INSTRUCTOR], email=world.teacher.email)
    response, _ = launch(client, platform, person)
    target = response.headers["Location"]
    page = client.get(target).get_data(as_text=True)
    assert "Community Lab" in page and "Other Course" not in page  # only courses they teach
    foreign = client.post_form(target, {"course": str(world.other_course.id)}, token_from=target)
    assert foreign.status_code == 422
    done = client.post_form(target, {"course": str(world.course.id)}, token_from=target)
    assert done.status_code == 303
    assert db.session.scalar(db.select(LtiContext.course_id).filter_by(context_id="course-101")) == world.course.id
    assert db.session.scalar(db.select(LtiAccount.user_id).filter_by(subject="t-9")) == world.teacher.id


def test_a_learner_waits_for_the_teacher_then_is_enrolled(client, platform, world):
    learner = platform.person(**LEARNER_1)
    response, _ = launch(client, platform, learner)
    assert response.status_code == 200
    assert "Your teacher has not connected this course yet" in response.get_data(as_text=True)
    sara = db.session.scalar(db.select(User).filter_by(email="sara@student.example"))
    assert db.session.scalar(db.select(CourseEnrolment).filter_by(user_id=sara.id)) is None
    assert client.get("/home").status_code == 200  # signed in all the same

    context = db.session.scalar(db.select(LtiContext).filter_by(context_id="course-101"))
    context.course_id = world.course.id
    db.session.commit()
    client.delete_cookie("session")
    response, _ = launch(client, platform, learner)
    assert response.status_code == 303 and response.headers["Location"].endswith("/home")
    assert "You are a student of Community Lab" in client.get("/home").get_data(as_text=True)
    row = db.session.scalar(db.select(CourseEnrolment).filter_by(user_id=sara.id))
    assert (row.course_id, row.source, row.status) == (world.course.id, "lti", ENROLLED)
    assert db.session.scalar(db.select(Activity).filter_by(verb="enrolled", actor_id=sara.id)) is not None
    # a learner is no teacher: the course's staff page stays closed
    assert client.get(f"/courses/{world.course.id}").status_code == 404 and not sara.is_teacher


def test_a_platform_cannot_open_an_administrators_account_by_email(client, platform, world):
    person = platform.person(sub="t-2", name="Ada", roles=[INSTRUCTOR], email=world.admin.email)
    response, _ = launch(client, platform, person)
    assert response.status_code == 403 and "administrator" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(LtiAccount).filter_by(subject="t-2")) is None
    assert client.get("/home").status_code == 302


@pytest.mark.parametrize("whose", ["partner", "sso_only"])
def test_a_platform_cannot_open_a_partners_or_an_sso_only_account_by_email(client, platform, world, whose):
    target = world.partner
    if whose == "sso_only":
        target = world.student
        target.sso_only = True
        db.session.commit()
    person = platform.person(sub="p-9", name="Someone", roles=[LEARNER], email=target.email)
    response, _ = launch(client, platform, person)
    assert response.status_code == 403 and "cannot be opened from a learning platform" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(LtiAccount).filter_by(subject="p-9")) is None
    assert client.get("/home").status_code == 302


def test_a_launch_without_email_still_gets_its_own_account(client, platform):
    response, _ = launch(client, platform, platform.person(sub="anon-7", name="", roles=[LEARNER]))
    assert response.status_code == 200
    account = db.session.scalar(db.select(LtiAccount).filter_by(subject="anon-7"))
    assert account.user.email.endswith("@lti.invalid") and account.user.password_hash == ""


def test_a_launch_signed_with_another_key_is_refused(client, platform):
    impostor = new_key("platform-key-1")  # the same key id, not the platform's key
    response, _ = launch(client, platform, platform.person(**TEACHER), key=impostor)
    assert response.status_code == 400
    assert "could not be checked" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(User).filter_by(email="tom.docent@uni.example")) is None
    assert client.get("/home").status_code == 302  # nobody signed in
    assert db.session.scalar(db.select(AuditEvent).filter_by(event="lti_launch_refused")) is not None


def test_a_launch_from_an_unregistered_deployment_is_refused(client, platform):
    response, _ = launch(client, platform, platform.person(**TEACHER), deployment_id="deployment-elsewhere")
    assert response.status_code == 400
    assert db.session.scalar(db.select(User).filter_by(email="tom.docent@uni.example")) is None


def test_a_replayed_launch_is_refused(client, platform, world):
    context_row = LtiContext(platform_id=db.session.scalar(db.select(LtiPlatform.id)), context_id=CONTEXT[0],
                             title=CONTEXT[1], course_id=world.course.id)
    db.session.add(context_row)
    db.session.commit()
    first, form = launch(client, platform, platform.person(**LEARNER_1))
    assert first.status_code == 303
    again = client.post("/lti/launch", data=form)  # the same id_token, state and nonce
    assert again.status_code == 400 and "used already" in again.get_data(as_text=True)
    client.delete_cookie("session")
    assert client.post("/lti/launch", data=form).status_code == 400  # nor signs anyone in from another session
    assert client.get("/home").status_code == 302


def test_a_launch_without_the_login_step_is_refused(client, platform):
    form = start(client, platform, platform.person(**TEACHER))
    client.delete_cookie("lti1p3-session-id")
    assert client.post("/lti/launch", data=form).status_code == 400


def test_login_initiation_from_an_unknown_platform_is_refused(client, platform):
    params = platform.initiation(platform.person(**TEACHER))
    response = client.post("/lti/login", data=dict(params, iss="https://unknown.example"))
    assert response.status_code == 400 and "not registered" in response.get_data(as_text=True)


def test_a_platform_error_answer_is_explained(client):
    response = client.post("/lti/launch", data={"error": "login_required", "error_description": "Log in to Canvas"})
    assert response.status_code == 200 and "Log in to Canvas" in response.get_data(as_text=True)


def test_deep_linking_returns_a_link_signed_by_the_tool(client, platform, world):
    person = platform.person(sub="t-9", name="Tina", roles=[INSTRUCTOR], email=world.teacher.email)
    response, _ = launch(client, platform, person, message="LtiDeepLinkingRequest")
    target = response.headers["Location"]
    assert response.status_code == 303 and target.endswith("/deep-link")
    assert "Community Lab" in client.get(target).get_data(as_text=True)
    assert client.post_form(target, {"course": str(world.other_course.id)}, token_from=target).status_code == 422
    answer = client.post_form(target, {"course": str(world.course.id)}, token_from=target)
    assert answer.status_code == 200
    assert f"form-action 'self' {platform.base}" in answer.headers["Content-Security-Policy"]
    fields = dict(FIELD_RE.findall(answer.get_data(as_text=True)))
    claims = verify(fields["JWT"], client.get("/lti/jwks.json").get_json())  # signed by the tool's key
    assert claims["aud"] == [platform.issuer] and claims["iss"] == platform.client_id
    assert claims["https://purl.imsglobal.org/spec/lti/claim/message_type"] == "LtiDeepLinkingResponse"
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "platform-data-7"
    [item] = claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert item["url"].endswith("/lti/launch") and item["custom"] == {"workspace_course": str(world.course.id)}

    # the platform checks it over HTTP against the tool's key set too
    import requests
    checked = requests.post(f"{platform.base}/deep-link-return", data={"JWT": fields["JWT"]}, timeout=10)
    assert checked.status_code == 200 and platform.deep_link_answers

    # the link it placed: the first instructor launch from it links the context to that course at once
    client.delete_cookie("session")
    linked, _ = launch(client, platform, person, custom=item["custom"])
    assert linked.headers["Location"].endswith(f"/courses/{world.course.id}")


def test_deep_linking_is_for_instructors(client, platform):
    response, _ = launch(client, platform, platform.person(**LEARNER_1), message="LtiDeepLinkingRequest")
    assert response.status_code == 403


def test_someone_elses_launch_does_not_exist(client, platform, world):
    response, _ = launch(client, platform, platform.person(**TEACHER))
    target = response.headers["Location"]
    client.login(world.teacher)
    assert client.get(target).status_code == 404


def _linked_course(platform, world):
    context = LtiContext(platform_id=db.session.scalar(db.select(LtiPlatform.id)), context_id=CONTEXT[0],
                         title=CONTEXT[1], course_id=world.course.id, memberships_url=platform.memberships_url(CONTEXT[0]))
    db.session.add(context)
    db.session.commit()
    return context


def test_sync_the_class_adds_and_marks_who_left(client, platform, world, count_queries):
    _linked_course(platform, world)
    stays, goes = factories.create_user("Stays Here"), factories.create_user("Goes Away")
    by_hand = factories.create_user("Added By Hand")
    for user, source in ((stays, "lti"), (goes, "lti"), (by_hand, "manual")):
        db.session.add(CourseEnrolment(course_id=world.course.id, user_id=user.id, source=source))
    db.session.add_all([LtiAccount(issuer=platform.issuer, subject="s-stays", user_id=stays.id),
                        LtiAccount(issuer=platform.issuer, subject="s-goes", user_id=goes.id)])
    db.session.commit()
    platform.members[CONTEXT[0]] = [
        member("s-stays", "Stays Here", [LEARNER]),
        member("s-new", "Nina New", [LEARNER], email="nina@student.example"),
        member("s-goes", "Goes Away", [LEARNER], status="Inactive"),
        member("t-1", "Tom Docent", [INSTRUCTOR]),
    ]
    client.login(world.teacher)
    response = client.post_form(f"/lti/courses/{world.course.id}/sync", {}, htmx=True,
                                token_from=f"/courses/{world.course.id}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "1 added, 1 left, 1 unchanged" in body and "<html" not in body
    assert "1 added, 1 left, 1 unchanged" in response.headers["HX-Trigger"]
    status = dict(db.session.execute(db.select(User.name, CourseEnrolment.status).join(
        CourseEnrolment, CourseEnrolment.user_id == User.id).where(CourseEnrolment.course_id == world.course.id)).all())
    assert status == {"Stays Here": ENROLLED, "Nina New": ENROLLED, "Goes Away": LEFT, "Added By Hand": ENROLLED}
    assert db.session.get(User, goes.id) is not None  # marked, never deleted
    assert db.session.scalar(db.select(Activity).filter_by(verb="synced_roster")) is not None
    # the access token was asked for with a client assertion the platform verified against our key set
    assert platform.token_requests[-1]["scope"].endswith("contextmembership.readonly")

    # Plain form: same again, nothing new; the course page shows the link
    again = client.post_form(f"/lti/courses/{world.course.id}/sync", {}, token_from=f"/courses/{world.course.id}")
    assert again.status_code == 303
    assert "0 added, 0 left, 2 unchanged" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_sync_reports_a_platform_that_refuses(client, platform, world):
    _linked_course(platform, world)
    platform.tool_jwks = {"keys": [new_key("someone-else").export_public(as_dict=True)]}  # our assertion fails
    client.login(world.teacher)
    response = client.post_form(f"/lti/courses/{world.course.id}/sync", {}, htmx=True,
                                token_from=f"/courses/{world.course.id}")
    assert response.status_code == 502 and "did not give the class list" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(Activity).filter_by(verb="synced_roster")) is None


def test_flask_sync_rosters_syncs_every_linked_course(app, platform, world):
    _linked_course(platform, world)
    platform.members[CONTEXT[0]] = [member("s-1", "Sara Student", [LEARNER], email="sara@student.example")]
    result = app.test_cli_runner().invoke(args=["sync-rosters"])
    assert result.exit_code == 0, result.output
    assert "Community Lab: 1 added, 0 left, 0 unchanged" in result.output
    db.session.expire_all()
    assert db.session.scalar(db.select(CourseEnrolment).filter_by(course_id=world.course.id)).source == "lti"


def test_flask_lti_register_and_the_admin_pages(app, client, world):
    result = app.test_cli_runner().invoke(args=[
        "lti-register", "--issuer", "https://canvas.example.edu", "--client-id", "10000000000001",
        "--deployment-id", "1:abc", "--deployment-id", "2:def", "--auth-login-url", "https://canvas.example.edu/auth",
        "--auth-token-url", "https://canvas.example.edu/token", "--key-set-url", "https://canvas.example.edu/jwks",
        "--name", "Canvas"])
    assert result.exit_code == 0, result.output
    platform = db.session.scalar(db.select(LtiPlatform).filter_by(issuer="https://canvas.example.edu"))
    assert sorted(d.deployment_id for d in platform.deployments) == ["1:abc", "2:def"]

    client.login(world.admin)
    page = client.get("/lti/platforms").get_data(as_text=True)
    assert "Canvas" in page and "1:abc, 2:def" in page and "/lti/login" in page and "/lti/jwks.json" in page
    url = f"/lti/platforms/{platform.id}"
    form = {"name": "Canvas", "issuer": "https://canvas.example.edu", "client_id": "10000000000001",
            "deployment_ids": "2:def\n3:ghi", "auth_login_url": "http://evil.example/auth",
            "auth_token_url": "https://canvas.example.edu/token", "key_set_url": "https://canvas.example.edu/jwks"}
    bad = client.post_form(url, form, token_from=url)
    assert bad.status_code == 422 and "Enter a full https:// address." in bad.get_data(as_text=True)
    assert "2:def\n3:ghi" in bad.get_data(as_text=True)  # what was typed stays
    saved = client.post_form(url, dict(form, auth_login_url="https://canvas.example.edu/auth"), token_from=url)
    assert saved.status_code == 303
    db.session.expire_all()
    assert sorted(d.deployment_id for d in platform.deployments) == ["2:def", "3:ghi"]

    clash = client.post_form("/lti/platforms/new", dict(form, auth_login_url="https://canvas.example.edu/auth"),
                             token_from="/lti/platforms/new")
    assert clash.status_code == 422 and "registered already" in clash.get_data(as_text=True)

    assert "Remove Canvas?" in client.get(f"{url}/remove").get_data(as_text=True)
    assert client.post_form(f"{url}/remove", {}, token_from=f"{url}/remove").status_code == 303
    assert db.session.scalar(db.select(LtiPlatform)) is None
    assert db.session.scalar(db.select(Activity).filter_by(verb="removed")) is not None


def test_the_platform_list_makes_the_same_queries_at_two_sizes(client, world, count_queries):
    client.login(world.admin)

    def queries(n, start):
        for i in range(start, start + n):
            db.session.add(LtiPlatform(issuer=f"https://lms{i}.example", client_id=f"c{i}", auth_login_url="https://a",
                                       auth_token_url="https://t", key_set_url="https://k"))
        db.session.commit()
        with count_queries() as statements:
            assert client.get("/lti/platforms").status_code == 200
        return len(statements)

    assert queries(1, 0) == queries(5, 1)


def test_the_tool_publishes_its_key_and_configuration(client):
    keys = client.get("/lti/jwks.json").get_json()["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "RSA" and "d" not in keys[0] and keys[0]["kid"]
    assert client.get("/lti/jwks.json").get_json()["keys"] == keys  # generated once, then kept
    config = client.get("/lti/config.json").get_json()
    assert config["login_initiation_url"].endswith("/lti/login") and config["jwks_url"].endswith("/lti/jwks.json")
    assert config["launch_url"].endswith("/lti/launch") and config["deep_linking_url"].endswith("/lti/launch")


def test_the_key_comes_from_lti_private_key_file(app, client, tmp_path):
    key = new_key("file-key")
    path = tmp_path / "tool.pem"
    path.write_bytes(key.export_to_pem(private_key=True, password=None))
    app.config["LTI_PRIVATE_KEY_FILE"] = str(path)
    try:
        [published] = client.get("/lti/jwks.json").get_json()["keys"]
    finally:
        app.config["LTI_PRIVATE_KEY_FILE"] = ""
    assert published["n"] == key.export_public(as_dict=True)["n"]


def test_lti_frame_ancestors_lets_only_that_platform_frame_the_workspace(database_url):
    from workspace import create_app

    framed = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url, LTI_FRAME_ANCESTORS="https://canvas.example.edu")
    try:
        response = framed.test_client().get("/lti/config.json")
        assert response.headers["Content-Security-Policy"].endswith("frame-ancestors https://canvas.example.edu")
        assert "frame-ancestors" in response.headers["Content-Security-Policy"]
        assert "X-Frame-Options" not in response.headers
        assert framed.config["SESSION_COOKIE_SAMESITE"] == "None" and framed.config["SESSION_COOKIE_SECURE"]
    finally:
        with framed.app_context():
            db.engine.dispose()


def test_without_it_nobody_frames_the_workspace(client):
    response = client.get("/lti/config.json")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_an_account_without_a_real_address_gets_notes_but_never_mail(app, client, platform, sent_mail):
    """A placeholder address (reserved .invalid domain) would sit in the outbox for ever and age its metric."""
    from workspace.models import Notification, OutboxMessage
    from workspace.notifications.services import notify

    launch(client, platform, platform.person(sub="anon-8", name="Anon", roles=[LEARNER]))
    user = db.session.scalar(db.select(LtiAccount).filter_by(subject="anon-8")).user
    with app.test_request_context():
        notify([user], "teams", "teams-test", "You are in a team", "/home")
        db.session.commit()
    assert db.session.scalar(db.select(Notification).filter_by(user_id=user.id)) is not None
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxMessage)) == 0
    assert not [mail for mail in sent_mail if mail["to"] == user.email]


def test_only_the_role_in_this_platform_course_counts_not_an_institution_role(client, platform, world):
    """A learner here who teaches elsewhere at the institution (institution/person#Instructor) stays a student."""
    _linked_course(platform, world)
    elsewhere = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor"
    person = platform.person(sub="s-9", name="Tess Assistant", roles=[LEARNER, elsewhere], email="tess@uni.example")
    response, _ = launch(client, platform, person)
    assert response.status_code == 303 and response.headers["Location"].endswith("/home")
    tess = db.session.scalar(db.select(User).filter_by(email="tess@uni.example"))
    assert not tess.is_teacher
    assert db.session.scalar(db.select(CourseStaff).filter_by(user_id=tess.id)) is None
    assert db.session.scalar(db.select(CourseEnrolment).filter_by(user_id=tess.id)).status == ENROLLED
    assert client.get(f"/courses/{world.course.id}").status_code == 404
    # Nor does an institution's Learner role make anyone a student of a course they have no role in.
    student_elsewhere = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Learner"
    client.delete_cookie("session")
    response, _ = launch(client, platform, platform.person(sub="o-1", name="Otto Observer", email="otto@uni.example",
                                                           roles=[student_elsewhere]))
    assert response.status_code == 403
    assert db.session.scalar(db.select(CourseEnrolment).join(User).filter(User.email == "otto@uni.example")) is None


def test_an_account_made_or_linked_by_a_launch_is_on_the_record(client, platform, world):
    """As for SSO: the platform's word on an e-mail address opened an existing account, and that shows."""
    launch(client, platform, platform.person(sub="s-41", name="Stu Dent", roles=[LEARNER], email=world.student.email))
    client.delete_cookie("session")
    launch(client, platform, platform.person(sub="s-42", name="Nova New", roles=[LEARNER], email="nova@uni.example"))
    linked = db.session.scalar(db.select(Activity).filter_by(verb="linked_lti", actor_id=world.student.id))
    nova = db.session.scalar(db.select(User).filter_by(email="nova@uni.example"))
    created = db.session.scalar(db.select(Activity).filter_by(verb="joined_lti", actor_id=nova.id))
    assert linked is not None and created is not None
