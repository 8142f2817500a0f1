"""Demo deliverables in every state, with small real files made here in code (a one-page PDF
and a PNG image), links, a review that asked for changes followed by an approved version,
one deliverable handed over, one due in five days and one past its due date."""
import struct
import zlib
from datetime import date, timedelta

from ..extensions import db
from ..models import Goal
from .files import check_file
from .services import (add_handover_item, add_version, create_deliverable, review_version, submit_version,
                       tick_handover_item)


def tiny_pdf(text: str = "Co-creation workspace") -> bytes:
    """A valid one-page PDF showing `text` (ASCII), with a correct cross-reference table."""
    safe = text.encode("ascii", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    stream = b"BT /F1 18 Tf 72 720 Td (" + safe + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def tiny_png(width: int = 48, height: int = 32, colour=(29, 92, 99)) -> bytes:
    """A valid PNG of one colour with a lighter band, made without an imaging library."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    light = tuple(min(255, c + 120) for c in colour)
    rows = b"".join(
        b"\x00" + bytes(light if height // 3 <= y < 2 * height // 3 else colour) * width for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def seed(demo: dict) -> None:
    people = demo["people"]
    cafe, food, green = demo["projects"]
    sam, sara, sven, sofia, samir = (people[f"student{n}"] for n in range(1, 6))
    priya, pieter, paula = people["partner1"], people["partner2"], people["partner3"]

    def goals_of(project):
        return list(db.session.scalars(db.select(Goal).where(Goal.project_id == project.id).limit(1)))

    # Digital skills café: a guide that went through changes and was approved; a video in review.
    guide = create_deliverable(
        sam, cafe, goals=goals_of(cafe), title="Step-by-step guide: municipal services online", kind="toolkit",
        audience="Volunteers of the digital skills café and the seniors they help",
        language="Dutch, plain language (B1)",
        channel="Printed at the café desk and on the Buurthuis website",
        description="Large-print cards, one per service: log in with DigiD, book an appointment, apply for support.",
    )
    v1 = add_version(sam, guide, "First draft with four cards.",
                     [check_file("guide-v1.pdf", tiny_pdf("Guide, first draft"))], [])
    submit_version(sam, v1)
    review_version(priya, v1, "changes_requested",
                   "Please use a bigger font and add a card on paying bills. The DigiD card skips the SMS step.")
    v2 = add_version(sara, guide, "Bigger font (16 pt), a new card on paying bills, the SMS step added to DigiD.",
                     [check_file("guide-v2.pdf", tiny_pdf("Guide, second version")),
                      check_file("card-example.png", tiny_png())],
                     [("https://debrug.example.org/digitaal-cafe", "Where the guide will be published")])
    submit_version(sara, v2)
    review_version(priya, v2, "approved", "Clear and friendly. The volunteers tried it with two visitors.")
    tick_handover_item(priya, guide.handover_items[0])

    video = create_deliverable(  # due soon
        sara, cafe, title="Short video: booking an appointment online", kind="video",
        audience="Seniors visiting the café", language="Dutch with subtitles",
        channel="Shown in the café and on YouTube", due_date=date.today() + timedelta(days=5),
    )
    clip = add_version(sara, video, "First cut, 3 minutes.", [],
                       [("https://video.example.org/watch/afspraak-maken", "First cut (unlisted)")])
    submit_version(sara, clip)

    # Fair food distribution: a dataset handed over, and a report still in draft.
    slots = create_deliverable(
        sven, food, goals=goals_of(food), title="Pick-up time slots dataset", kind="dataset",
        audience="Food bank coordinators", language="English and Dutch column names",
        channel="Shared drive of the food bank; explained at the volunteers' meeting",
    )
    data = add_version(sven, slots, "Slots for 120 families, with the planning sheet.",
                       [check_file("time-slots.csv", "family,slot\nA-001,Tue 10:00\nA-002,Tue 10:15\n".encode()),
                        check_file("slot-chart.png", tiny_png(colour=(138, 90, 0)))], [])
    submit_version(sven, data)
    review_version(pieter, data, "approved", "Exactly what the coordinators need.")
    add_handover_item(pieter, slots, "Coordinators can add a new pick-up day themselves")
    for item in list(slots.handover_items):
        tick_handover_item(pieter, item)

    create_deliverable(  # late: its due date has passed while it is still a draft
        sofia, food, title="Report: waiting times before and after", kind="report",
        audience="The food bank board and the municipality", language="Dutch", channel="Presented at the board meeting",
        due_date=date.today() - timedelta(days=3),
    )

    # Green courtyards: a workshop plan waiting for changes.
    workshop = create_deliverable(
        samir, green, title="Courtyard greening workshop", kind="workshop",
        audience="Residents of two courtyards", language="Dutch and Arabic", channel="Flyers and the residents' app",
    )
    plan = add_version(samir, workshop, "Workshop plan and the flyer.",
                       [check_file("workshop-plan.pdf", tiny_pdf("Workshop plan"))],
                       [("https://groenstad.example.org/binnentuinen", "Municipal courtyard programme")])
    submit_version(samir, plan)
    review_version(paula, plan, "changes_requested", "Plan it on a Saturday morning; many residents work on weekdays.")

    # Green courtyards: a planting map approved by the municipality, its handover not started yet.
    planting = create_deliverable(
        samir, green, title="Planting map for the first courtyard", kind="other",
        audience="Residents and the municipal gardeners", language="Dutch",
        channel="Printed on the courtyard notice board",
    )
    drawn = add_version(samir, planting, "The map with native plants per corner.",
                        [check_file("planting-map.pdf", tiny_pdf("Planting map"))], [])
    submit_version(samir, drawn)
    review_version(paula, drawn, "approved", "Good choice of plants; the gardeners can start in spring.")
