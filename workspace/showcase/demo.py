"""Demo showcase: the café's guide published with its PDF public, a training published with a link,
a poster published and then withdrawn by the partner, and the food bank's handed-over dataset with
a draft summary that cannot be published because the partner withdrew the consent to publish."""
from ..deliverables.demo import tiny_png
from ..deliverables.files import check_file
from ..deliverables.services import add_version, create_deliverable, review_version, submit_version, tick_handover_item
from ..extensions import db
from ..models import Deliverable
from . import services


def _hand_over(student, partner, deliverable, files=(), links=()):
    """Through the same rules people use: a version, submitted, approved, every handover point ticked."""
    if files or links:
        version = add_version(student, deliverable, "Final version.", list(files), list(links))
        submit_version(student, version)
        review_version(partner, version, "approved", "Ready to hand over.")
    for item in deliverable.handover_items:
        if item.ticked_at is None:
            tick_handover_item(partner, item)


def _publish(student, partner, deliverable, summary, word, public_files=(), public_links=()):
    version = services.approved_version(deliverable)
    files = [f.id for f in version.files if f.original_name in public_files]
    links = [link.id for link in version.links if link.url in public_links]
    publication = services.save_draft(student, deliverable, None, summary, "", files, links)
    services.save_draft(partner, deliverable, publication.version, summary, word, files, links)
    services.publish(partner, deliverable, publication.version)
    return publication


def seed(demo: dict) -> None:
    p = demo["people"]
    cafe, food = demo["projects"][0], demo["projects"][1]
    sam, sara, sven, priya = p["student1"], p["student2"], p["student3"], p["partner1"]

    guide = db.session.scalar(db.select(Deliverable).where(Deliverable.project_id == cafe.id,
                                                           Deliverable.kind == "toolkit"))
    _hand_over(sam, priya, guide)
    _publish(sara, priya, guide, "Large-print cards that walk seniors through municipal services online, one card "
             "per service: logging in with DigiD, booking an appointment, paying bills and applying for support.",
             "The volunteers hand the cards out at every café afternoon; two other community centres asked for "
             "copies.", public_files=("guide-v2.pdf",))

    training = create_deliverable(
        sam, cafe, title="Training for café volunteers", kind="workshop", audience="Volunteers of the café",
        language="Dutch", channel="A two-hour session at the community centre, recorded")
    _hand_over(sam, priya, training, links=[("https://debrug.example.org/training-vrijwilligers",
                                             "Recording of the training")])
    _publish(sam, priya, training, "A two-hour session that prepares volunteers to help seniors online: "
             "listen first, let them hold the tablet, and use the cards.", "",
             public_links=("https://debrug.example.org/training-vrijwilligers",))

    poster = create_deliverable(
        sara, cafe, title="Poster: the café's opening hours", kind="other", audience="Visitors of the Buurthuis",
        language="Dutch", channel="The notice board")
    _hand_over(sara, priya, poster, files=[check_file("poster.png", tiny_png(colour=(120, 40, 90)))])
    _publish(sara, priya, poster, "A poster with the café's opening hours.", "",
             public_files=("poster.png",))
    services.withdraw(priya, poster)  # the hours changed: the partner took it out of the showcase

    slots = db.session.scalar(db.select(Deliverable).where(Deliverable.project_id == food.id,
                                                           Deliverable.kind == "dataset"))
    services.save_draft(sven, slots, None, "Pick-up time slots for 120 families, so nobody waits for hours.", "",
                        [], [])
