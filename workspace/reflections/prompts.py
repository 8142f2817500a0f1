"""The prompts a student can answer: one per guiding value the course emphasises, in the words
of the guide (../shared/guiding-values.txt), then the course's own prompts."""
from flask_babel import lazy_gettext as _l

from ..checkups.services import asked_values, course_prompts

VALUE_PROMPTS = {
    "relevance": _l("Relevance: does your work respond to the needs and priorities the partner identified? "
                    "Did you go beyond how the problem was initially presented, digging deeper towards the root "
                    "cause?"),
    "meaningfulness": _l("Meaningfulness: what tangible contribution are you making, and how will you disseminate "
                         "it in a language and a channel that maximise its usability?"),
    "reciprocity": _l("Reciprocity: is the exchange equitable and mutual? Do all parties comply with the agreed "
                      "responsibilities and roles?"),
    "empowerment": _l("Empowerment and capacity building: how does your work help the partner implement the "
                      "solution after the project ends, in an independent manner?"),
    "humbleness": _l("Humbleness: where did you meet the limitations of your knowledge and perspective, and what "
                     "did you learn from other sources of knowledge?"),
    "cultural_sensitivity": _l("Cultural sensitivity: does everyone feel welcomed and valued? Which stereotypes "
                               "or biases did you notice, and is your communication accessible and inclusive?"),
    "co_creation": _l("Collaboration and co-creation: how do you and the partner decide together, and how did "
                      "you integrate the feedback from the check-ups?"),
    "sustainable_relationships": _l("Sustainable relationships: what could make this partnership last beyond "
                                    "this project or course?"),
    "transparency": _l("Transparency and fairness: where did you notice power imbalances, and how do you keep "
                       "communication clear and open?"),
}
GENERAL = _l("Your experience: what did you learn about the impact of your actions, which different "
             "perspectives did you consider, and what would you do differently?")


def prompt_choices(course) -> list[tuple[str, str]]:
    """(source, text) for every prompt this course offers: two queries."""
    pairs = [("general", str(GENERAL))]
    pairs += [(f"value:{key}", str(VALUE_PROMPTS[key])) for key in asked_values(course)]
    pairs += [(f"course:{prompt.id}", prompt.text) for prompt in course_prompts(course)]
    return pairs
