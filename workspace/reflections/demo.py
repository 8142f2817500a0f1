"""Demo reflections: private and shared entries in every demo project, answering value prompts,
a course prompt and none, one teacher response with the student's reply, and one edited entry."""
from datetime import timedelta

from ..extensions import db
from ..models import CoursePrompt
from ..models.base import utcnow
from ..models.reflection import PRIVATE, SHARED, Reflection, ReflectionResponse
from .prompts import VALUE_PROMPTS


def _entry(project, author, body, visibility, days_ago, value=None, course_prompt=None):
    source, text = "", ""
    if value:
        source, text = f"value:{value}", str(VALUE_PROMPTS[value])
    elif course_prompt:
        source, text = "course", course_prompt
    when = utcnow() - timedelta(days=days_ago)
    reflection = Reflection(project_id=project.id, author_id=author.id, prompt_source=source, prompt_text=text,
                            body=body, visibility=visibility, created_at=when, updated_at=when)
    db.session.add(reflection)
    return reflection


def seed(demo: dict) -> None:
    people = demo["people"]
    cafe, food, green = demo["projects"]
    sam, sara, sven, sofia, samir = (people[f"student{n}"] for n in range(1, 6))
    tom, tessa = people["teacher1"], people["teacher2"]

    private = _entry(cafe, sam, (
        "At the first session I explained DigiD far too fast. Mrs. Jansen nodded politely, but the next week "
        "she could not log in. I assumed *not knowing* meant *not able*. I now ask visitors to show me how "
        "they do it first."), PRIVATE, 20, value="humbleness")
    _entry(cafe, sara, (
        "We planned to build a website with video tutorials. Talking with the café volunteers we learnt that "
        "the seniors want a person next to them, not a video. Our printed cards are the better answer:\n\n"
        "- they fit the café desk\n- volunteers can hand them out\n- they work without a phone"),
        SHARED, 12, value="relevance")
    _entry(cafe, sam, "The volunteers will keep running the café after we leave: we should train them, "
           "not the seniors.", SHARED, 3, value="empowerment")
    _entry(food, sven, "Families at the food bank come from many countries. Our questionnaire was only in "
           "Dutch; next time we ask the volunteers which languages to use.", PRIVATE, 9,
           value="cultural_sensitivity")
    _entry(food, sofia, "The partner changed the pick-up times without telling us, and we were annoyed. Then "
           "I remembered that we missed our own promise to send the draft schedule.", SHARED, 5,
           value="reciprocity")
    cities = green.course
    prompt = db.session.scalar(db.select(CoursePrompt.text).where(CoursePrompt.course_id == cities.id)
                               .order_by(CoursePrompt.position).limit(1))
    _entry(green, samir, "The residents knew exactly which courtyards flood after rain. The municipality's "
           "map did not.", PRIVATE, 7, course_prompt=prompt, value=None if prompt else "co_creation")
    db.session.flush()
    # The teacher responds to Sam's private entry; Sam replies.
    db.session.add_all([
        ReflectionResponse(reflection_id=private.id, author_id=tom.id, created_at=utcnow() - timedelta(days=18),
                           body="A good catch. What would *showing first* look like for someone who cannot "
                                "see the screen well?"),
        ReflectionResponse(reflection_id=private.id, author_id=sam.id, created_at=utcnow() - timedelta(days=17),
                           body="Large print, and letting them hold the tablet. We added it to the cards."),
    ])
    del tessa
