"""Pages built from feature sections: the project board and the home page.

A feature registers a function that loads what its section needs; the page view calls every
registered loader (on home, those whose probe finds something: `home_section`) and the template
includes each feature's partial. Loaders must use a fixed number of queries whatever the amount of
data (no query per row).
"""
from collections.abc import Callable

# name -> (template, loader(project, user) -> dict)
BOARD: dict[str, tuple[str, Callable]] = {}
# name -> (template, loader(user) -> dict); used for the "waiting for you" parts of home
HOME: dict[str, tuple[str, Callable]] = {}
# name -> probe(user) -> a SELECT that finds a row whenever the home section's loader has something
HOME_PROBES: dict[str, Callable] = {}


def board_section(name: str, template: str):
    """Register a section of the project board: `@board_section("goals", "goals/_board.html")`."""
    def register(loader):
        BOARD[name] = (template, loader)
        return loader
    return register


def home_section(name: str, template: str, probe: Callable | None = None):
    """Register a section of the home page (e.g. a partner's queue of goals to agree).

    `probe(user)`, when given, is a SELECT that finds a row whenever the loader would return something
    for this person (it may find rows when the loader then returns nothing, never the other way round),
    and uses nothing of the user but `user.id`. Home asks every probe in one statement, built once per
    process, and calls only the loaders whose probe found a row: a section that is usually empty (the
    after-project questions, the evaluations) then costs no statement of its own (issue 19)."""
    def register(loader):
        HOME[name] = (template, loader)
        if probe is not None:
            HOME_PROBES[name] = probe
        else:
            HOME_PROBES.pop(name, None)
        return loader
    return register


def load_board(project, user) -> list[tuple[str, dict]]:
    return [(template, loader(project, user)) for template, loader in BOARD.values()]


_PROBED: dict = {}  # the probed home sections -> one SELECT of whether each has anything


def _empty_home_sections(user) -> set[str]:
    """The home sections whose probe finds nothing for this person (one statement for all)."""
    probed = tuple((name, HOME_PROBES[name]) for name in HOME if name in HOME_PROBES)
    if not probed:
        return set()
    if probed not in _PROBED:
        from sqlalchemy import select

        from .database import BoundPerson, PlainRead

        person = BoundPerson("home_user_id")
        _PROBED[probed] = PlainRead(select(*[probe(person).exists().label(f"p{i}")
                                             for i, (_name, probe) in enumerate(probed)]), "HomeProbes")
    found = _PROBED[probed]({"home_user_id": user.id})[0]
    return {name for (name, _probe), anything in zip(probed, found) if not anything}


def load_home(user) -> list[tuple[str, dict]]:
    sections = []
    empty = _empty_home_sections(user)
    for name, (template, loader) in HOME.items():
        if name in empty:
            continue
        context = loader(user)
        if context is not None:
            sections.append((template, context))
    return sections


# name -> counter(user) -> int: things waiting for this person's action (one query each).
WAITING: dict[str, Callable] = {}


def waiting_counter(name: str, statement: Callable | None = None):
    """Register what a feature has waiting for a person; the navigation badge shows the sum.

    `statement(user)`, when given, is the same count as a SELECT that uses nothing of the user but
    `user.id`: the navigation then builds it once per process with the id as a bound parameter and
    sends every such count in one statement (building them was most of the badge's cost per page)."""
    def register(counter):
        if statement is not None:
            counter.statement = statement
        WAITING[name] = counter
        return counter
    return register


_COMBINED: dict = {}  # the registered counters -> one SELECT of all their counts


def _combined(counters: tuple):
    if counters not in _COMBINED:
        from sqlalchemy import select

        from .database import BoundPerson

        user = BoundPerson("waiting_user_id")
        _COMBINED[counters] = select(*[counter.statement(user).scalar_subquery().label(f"n{i}")
                                       for i, (_name, counter) in enumerate(counters)])
    return _COMBINED[counters]


def waiting_for(user) -> dict[str, int]:
    """What waits for this person, per feature."""
    return _counts(user, bell=False)[0]


def navigation(user) -> tuple[dict[str, int], str]:
    """What the navigation shows: the waiting counts and the notification bell's state
    (`notifications.services.badge_state`), together in one statement."""
    return _counts(user, bell=True)


def _counts(user, bell: bool):
    from .notifications.services import badge_state_columns, badge_state_of

    if not user.is_authenticated:
        return {}, badge_state_of(0, 0)
    counts = {name: counter(user) for name, counter in WAITING.items() if not hasattr(counter, "statement")}
    built = tuple((name, counter) for name, counter in WAITING.items() if hasattr(counter, "statement"))
    state = None
    if built or bell:
        key = (built, bell)
        if key not in _COMBINED:
            from sqlalchemy import select

            columns = list(_combined(built).selected_columns) if built else []
            from .database import BoundPerson, PlainRead

            bell_columns = badge_state_columns(BoundPerson("waiting_user_id")) if bell else ()
            _COMBINED[key] = PlainRead(select(*columns, *bell_columns))
        row = _COMBINED[key]({"waiting_user_id": user.id})[0]
        counts.update((name, n or 0) for (name, _counter), n in zip(built, row))
        if bell:
            state = badge_state_of(row[-2], row[-1])
    return {name: counts[name] for name in WAITING}, state


# subject type (Activity.subject_type) -> link(project_id, subject_id) -> url or None
ACTIVITY_LINKS: dict[str, Callable] = {}


def activity_link(subject_type: str):
    """Register how a timeline entry about `subject_type` links to what it points to."""
    def register(link):
        ACTIVITY_LINKS[subject_type] = link
        return link
    return register


def link_for(activity) -> str | None:
    link = ACTIVITY_LINKS.get(activity.subject_type)
    if link is None or activity.subject_id is None or activity.project_id is None:
        return None
    return link(activity.project_id, activity.subject_id)


# subject type -> openable(user, subject_ids) -> the ids among them this reader may open now
ACTIVITY_OPENABLE: dict[str, Callable] = {}


def activity_openable(subject_type: str):
    """Register which subjects of a kind a reader may open, for kinds not every member may read
    (a reflection made private or deleted): their timeline lines then show without a link."""
    def register(openable):
        ACTIVITY_OPENABLE[subject_type] = openable
        return openable
    return register


def links_for(entries, user) -> Callable:
    """`link_for` for this reader and these entries: one query per kind that has an `openable` check."""
    wanted: dict[str, set] = {}
    for entry in entries:
        if entry.subject_type in ACTIVITY_OPENABLE and entry.subject_id is not None:
            wanted.setdefault(entry.subject_type, set()).add(entry.subject_id)
    opens = {kind: ACTIVITY_OPENABLE[kind](user, ids) for kind, ids in wanted.items()}

    def link(entry) -> str | None:
        if entry.subject_type in opens and entry.subject_id not in opens[entry.subject_type]:
            return None
        return link_for(entry)

    return link
