"""Peer feedback over HTTP: teachers set rounds (dimensions fixed once someone rated), students rate
every teammate in place or as a plain form while a round is open, the teacher's summary computes the
flags on a small hand-checkable team with a fixed number of queries, and a student reads only the
averages about themselves once released; teammates, other students and the partner see nothing."""
import json
from datetime import date, timedelta

import pytest

from workspace.extensions import db
from workspace.models import Activity, PeerRating, PeerRound, ProjectMember
from workspace.models.base import utcnow
from workspace.peer_feedback.services import submit

from .factories import create_project, create_user

DIMENSIONS = ["Contributing to the work", "Keeping promises"]


@pytest.fixture
def team(world):
    """Sam (world.student), Amy and Bob in one team, with a round open today on two dimensions."""
    amy, bob = create_user("Amy Student"), create_user("Bob Student")
    db.session.add_all([ProjectMember(project_id=world.project.id, user_id=u.id, role="student") for u in (amy, bob)])
    peer_round = PeerRound(course_id=world.course.id, title="Mid-term", opens_on=date.today() - timedelta(days=2),
                           closes_on=date.today() + timedelta(days=5), dimensions=list(DIMENSIONS))
    db.session.add(peer_round)
    db.session.commit()
    return {"sam": world.student, "amy": amy, "bob": bob, "round": peer_round}


def rate_url(world, peer_round, project=None):
    return f"/projects/{(project or world.project).id}/peer-feedback/{peer_round.id}"


def course_url(world, rest=""):
    return f"/courses/{world.course.id}/peer-feedback{rest}"


def ratings(*mates, scores=("4", "4"), comment=""):
    data = {}
    for mate in mates:
        data.update({f"s{mate.id}_{i}": s for i, s in enumerate(scores)})
        data[f"c{mate.id}"] = comment
    return data


def test_a_teacher_sets_a_round_with_the_default_dimensions(client, world):
    client.login(world.teacher)
    form = client.get(course_url(world, "/new")).get_data(as_text=True)
    assert "Co-operating with the partner" in form and "Keeping promises" in form
    response = client.post_form(course_url(world, "/new"), {
        "title": "End of the project", "opens_on": "2027-06-01", "closes_on": "2027-06-10",
        "dimensions": "Contributing to the work\n\nCommunicating\n"})
    assert response.status_code == 303
    peer_round = db.session.scalar(db.select(PeerRound))
    assert (peer_round.title, peer_round.dimensions) == ("End of the project", ["Contributing to the work",
                                                                                "Communicating"])
    assert response.headers["Location"].endswith(f"/peer-feedback/{peer_round.id}")
    entry = db.session.scalar(db.select(Activity).where(Activity.subject_type == "peerround"))
    assert entry.project_id is None and entry.course_id == world.course.id
    assert "End of the project" in client.get(course_url(world)).get_data(as_text=True)


def test_bad_rounds_come_back_with_messages_and_what_was_typed(client, world):
    client.login(world.teacher)
    good = {"title": "Mid-term check", "opens_on": "2027-03-01", "closes_on": "2027-03-08", "dimensions": "Listening"}
    for bad in ({"closes_on": "2027-02-01"}, {"dimensions": ""}, {"opens_on": ""},
                {"dimensions": "\n".join(f"Dimension {n}" for n in range(9))}, {"dimensions": "Same\nSame"}):
        response = client.post_form(course_url(world, "/new"), {**good, **bad})
        assert response.status_code == 422, bad
        body = response.get_data(as_text=True)
        assert "Mid-term check" in body and ('class="error"' in body or "close on or after" in body)
    assert db.session.scalar(db.select(db.func.count()).select_from(PeerRound)) == 0


def test_dimensions_are_fixed_once_someone_rated(client, world, team):
    peer_round = team["round"]
    client.login(world.teacher)
    form = {"title": "Mid-term (week 8)", "opens_on": peer_round.opens_on.isoformat(),
            "closes_on": peer_round.closes_on.isoformat(), "dimensions": "\n".join(DIMENSIONS),
            "version": peer_round.version}
    assert client.post_form(course_url(world, f"/{peer_round.id}/edit"), form).status_code == 303
    submit(team["amy"], peer_round, world.project, {team["sam"].id: ([4, 4], ""), team["bob"].id: ([3, 4], "")})
    db.session.commit()
    db.session.refresh(peer_round)
    response = client.post_form(course_url(world, f"/{peer_round.id}/edit"), {
        **form, "dimensions": "Something else", "version": peer_round.version})
    assert response.status_code == 409 and "can no longer change" in response.get_data(as_text=True)
    db.session.expire_all()
    assert peer_round.dimensions == DIMENSIONS and peer_round.title == "Mid-term (week 8)"


def test_a_student_rates_every_teammate_in_place(client, world, team):
    client.login(team["sam"])
    board = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    assert "rate your teammates by" in board
    page = client.get(rate_url(world, team["round"])).get_data(as_text=True)
    assert "Amy Student" in page and "Bob Student" in page and "Sam Student" not in page.split("<main")[1]
    response = client.post_form(rate_url(world, team["round"]), {
        **ratings(team["amy"], scores=("5", "4"), comment="Amy kept the partner in the loop."),
        **ratings(team["bob"], scores=("2", "3"))}, htmx=True)
    assert response.status_code == 200
    assert "<html" not in response.get_data(as_text=True)
    assert "saved" in json.loads(response.headers["HX-Trigger"])["announce"]
    given = {r.rated_id: (r.scores, r.comment) for r in db.session.scalars(db.select(PeerRating))}
    assert given == {team["amy"].id: ([5, 4], "Amy kept the partner in the loop."), team["bob"].id: ([2, 3], "")}
    entry = db.session.scalar(db.select(Activity).where(Activity.subject_type == "peerround"))
    assert entry.verb == "submitted" and entry.project_id == world.project.id
    assert "Amy" not in entry.summary and "Bob" not in entry.summary and "5" not in entry.summary
    # Changing it replaces the ratings (plain form this time) and says only that it changed.
    response = client.post_form(rate_url(world, team["round"]), {**ratings(team["amy"]), **ratings(team["bob"])})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/projects/{world.project.id}")
    assert db.session.scalar(db.select(db.func.count()).select_from(PeerRating)) == 2
    assert db.session.scalar(db.select(Activity.verb).where(Activity.subject_type == "peerround",
                                                            Activity.verb == "edited")) == "edited"


def test_incomplete_ratings_come_back_and_keep_what_was_typed(client, world, team):
    client.login(team["sam"])
    data = {**ratings(team["amy"], comment="Helpful with the interviews."), **ratings(team["bob"])}
    for bad in ({f"s{team['bob'].id}_1": ""}, {f"s{team['bob'].id}_0": "9"}):
        response = client.post_form(rate_url(world, team["round"]), {**data, **bad}, htmx=True)
        assert response.status_code == 422, bad
        body = response.get_data(as_text=True)
        assert 'class="error"' in body and "Helpful with the interviews." in body
    assert db.session.scalar(db.select(db.func.count()).select_from(PeerRating)) == 0


@pytest.mark.parametrize("opens, closes, released, words", [
    (3, 10, False, "opens on"), (-10, -1, False, "closed on"), (-3, 3, True, "released")])
def test_ratings_are_refused_outside_the_open_days(client, world, team, opens, closes, released, words):
    peer_round = team["round"]
    peer_round.opens_on = date.today() + timedelta(days=opens)
    peer_round.closes_on = date.today() + timedelta(days=closes)
    if released:
        peer_round.released_at = utcnow()
    db.session.commit()
    client.login(team["sam"])
    response = client.post_form(rate_url(world, peer_round), {**ratings(team["amy"]), **ratings(team["bob"])},
                                htmx=True)
    assert response.status_code == 409 and words in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(PeerRating)) == 0


def hand_checked(world, team):
    """Sam gives everyone 4s (rates everyone the same); Amy rates Sam 5/4 and Bob 1/1; Bob submits nothing.
    Received: Sam 4.5 (5, 4), Amy 4.0 (4, 4), Bob 2.5 (2.5, 2.5); team 11/3 ≈ 3.67, so Bob is 1.17 below."""
    sam, amy, bob, peer_round = team["sam"], team["amy"], team["bob"], team["round"]
    submit(sam, peer_round, world.project, {amy.id: ([4, 4], "Solid."), bob.id: ([4, 4], "")})
    submit(amy, peer_round, world.project, {sam.id: ([5, 4], ""), bob.id: ([1, 1], "Bob missed every meeting.")})
    db.session.commit()


def flags_of(page, name):
    row = page.split(f"<th scope=\"row\">{name}")[1].split("</tr>")[0]
    return {flag for flag in ("below", "same", "missing") if f"flag-{flag}" in row}, row


def test_the_teacher_summary_flags_the_hand_checked_team(client, world, team):
    hand_checked(world, team)
    client.login(world.teacher)
    page = client.get(course_url(world, f"/{team['round'].id}")).get_data(as_text=True)
    assert "team average 3.7" in page
    sam_flags, sam_row = flags_of(page, "Sam Student")
    amy_flags, amy_row = flags_of(page, "Amy Student")
    bob_flags, bob_row = flags_of(page, "Bob Student")
    assert sam_flags == {"same"} and ">4.5<" in sam_row and ">5.0<" in sam_row
    assert amy_flags == set() and ">4.0<" in amy_row
    assert bob_flags == {"below", "missing"} and ">2.5<" in bob_row
    assert "Bob missed every meeting." in bob_row  # the teacher reads the comments


def test_a_student_reads_only_the_averages_about_themselves_once_released(client, world, team):
    hand_checked(world, team)
    bob_page = rate_url(world, team["round"])
    client.login(team["bob"])
    page = client.get(bob_page).get_data(as_text=True)
    assert "What your teammates said about you" not in page
    client.login(world.teacher)
    response = client.post_form(course_url(world, f"/{team['round'].id}/release"), htmx=True)
    assert response.status_code == 200 and "Released on" in response.get_data(as_text=True)
    assert client.post_form(course_url(world, f"/{team['round'].id}/release"), htmx=True).status_code == 409
    client.login(team["bob"])
    page = client.get(bob_page).get_data(as_text=True)
    assert "What your teammates said about you" in page and "<dd>2.5</dd>" in page
    assert "Bob missed every meeting." not in page and "Amy" not in page.split("about-you")[1].split("</section>")[0]
    client.login(team["amy"])  # rated by Sam alone: an average would show what Sam said
    page = client.get(bob_page).get_data(as_text=True)
    assert "Fewer than 2 teammates rated you" in page and "<dd>4.0</dd>" not in page
    assert "rates everyone the same" not in page and "Solid." not in page


def test_nobody_but_the_teachers_reads_someone_elses_ratings(client, world, team):
    hand_checked(world, team)
    neighbour = create_user("Nina Neighbour")
    create_project(world.course, students=[neighbour], title="Next door")
    other_round = PeerRound(course_id=world.other_course.id, title="Theirs", opens_on=date.today(),
                            closes_on=date.today())
    db.session.add(other_round)
    db.session.commit()
    client.login(team["bob"])  # a teammate sees only their own (empty) form, never what Amy said
    page = client.get(rate_url(world, team["round"])).get_data(as_text=True)
    assert "Bob missed every meeting." not in page and "Solid." not in page
    assert client.get(course_url(world, f"/{team['round'].id}")).status_code == 404
    assert client.get(rate_url(world, other_round)).status_code == 404  # a round of another course
    client.login(neighbour)  # same course, another team: changing the project id reaches nothing
    assert client.get(rate_url(world, team["round"])).status_code == 404
    client.login(world.partner)
    assert client.get(rate_url(world, team["round"])).status_code == 404
    board = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    assert "peer-section" not in board
    client.login(world.teacher)  # the course's teacher gets the link to the rounds, never a rating form
    board = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    assert "The course&#39;s peer feedback rounds" in board or "The course's peer feedback rounds" in board
    client.login(world.partner)
    timeline = client.get(f"/projects/{world.project.id}/timeline").get_data(as_text=True)
    assert "Bob missed every meeting." not in timeline and "rated" not in timeline


def test_the_summary_makes_a_fixed_number_of_queries(client, world, team, count_queries):
    hand_checked(world, team)
    path = course_url(world, f"/{team['round'].id}")
    client.login(world.teacher)
    client.get(path)
    with count_queries() as one_team:
        client.get(path)
    for n in range(3):
        a, b, c = (create_user(f"Student {n}{x}") for x in "abc")
        project = create_project(world.course, students=[a, b, c], title=f"Team {n}")
        db.session.commit()
        submit(a, team["round"], project, {b.id: ([3, 3], "Fine."), c.id: ([2, 5], "")})
        submit(b, team["round"], project, {a.id: ([4, 4], ""), c.id: ([1, 2], "")})
    db.session.commit()
    with count_queries() as four_teams:
        page = client.get(path).get_data(as_text=True)
    assert page.count("team average") == 4
    assert len(four_teams) == len(one_team)


def test_the_home_page_lists_open_rounds_until_submitted_in_fixed_queries(client, world, team, count_queries):
    client.login(team["sam"])
    home = client.get("/home").get_data(as_text=True)
    assert "Peer feedback to give" in home and rate_url(world, team["round"]) in home
    with count_queries() as one:
        client.get("/home")
    second = create_project(world.course, students=[team["sam"], create_user("Zoe Student")], title="Second team")
    db.session.add(PeerRound(course_id=world.course.id, title="Later", opens_on=date.today() + timedelta(days=3),
                             closes_on=date.today() + timedelta(days=9)))
    db.session.commit()
    with count_queries() as two:
        home = client.get("/home").get_data(as_text=True)
    assert home.count("Rate your teammates in") == 2 and "Later" not in home
    assert len(two) == len(one)
    client.post_form(rate_url(world, team["round"]), {**ratings(team["amy"]), **ratings(team["bob"])})
    home = client.get("/home").get_data(as_text=True)
    assert rate_url(world, team["round"]) not in home and rate_url(world, team["round"], second) in home
    client.login(world.partner)
    assert "Peer feedback to give" not in client.get("/home").get_data(as_text=True)
