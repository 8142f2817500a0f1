"""The permission matrix: every route × method × role, declared per feature in tests/cases/*.py.

A case says which roles may use a route; everyone else is refused: anonymous people are sent
to log in, people who may not know the object get 404, people who see it but may not act 403.
`setup(world)` creates what the route is about and returns a dict passed to `url` and `data`.
"""
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

ROLES = ("anonymous", "student", "partner", "teacher", "admin", "other_student", "other_partner", "other_teacher")
SIGNED_IN = frozenset(ROLES) - {"anonymous"}
EVERYONE = frozenset(ROLES)
PROJECT_ROLES = frozenset({"student", "partner", "teacher", "admin"})
COURSE_STAFF = frozenset({"teacher", "admin"})
TEACHERS = frozenset({"teacher", "other_teacher", "admin"})


@dataclass
class Case:
    endpoint: str
    method: str
    url: Callable  # (world, objs) -> str
    allowed: frozenset
    visible: frozenset = PROJECT_ROLES  # roles that may know the object exists (others get 404)
    setup: Callable | None = None  # (world) -> dict of objects
    data: Callable | None = None  # (world, objs) -> form data for POST
    public: bool = False  # anonymous allowed without a redirect to login
    expect: Callable | None = None  # extra check (response, role) for allowed roles

    @property
    def id(self) -> str:
        return f"{self.endpoint}:{self.method}"


def all_cases() -> list[Case]:
    cases = []
    for module in pkgutil.iter_modules(__path__):
        cases.extend(importlib.import_module(f"{__name__}.{module.name}").CASES)
    return cases
