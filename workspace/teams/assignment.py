"""The team optimiser: place every student in exactly one project so that every team's size stays
within [min, max] and the sum of the ranks students gave their project is as small as possible.

A mixed-integer programme solved by HiGHS through `scipy.optimize.milp`:

    x[s, p] ∈ {0, 1}   student s joins project p
    y[p]    ∈ {0, 1}   project p gets a team (fixed to 1 unless projects may stay without one)
    Σ_p x[s, p] = 1                                     every student exactly once
    min·y[p] ≤ existing[p] + Σ_s x[s, p] ≤ max·y[p]      sizes, counting students already in the team
    minimise Σ cost[s, p]·x[s, p]

cost[s, p] is the rank s gave p (1, 2, 3 …), UNRANKED for a project s did not rank, and the same
(0) for every project when s ranked none: they fill whatever room is left.
"""
from dataclasses import dataclass

import numpy as np
from flask_babel import gettext as _
from flask_babel import ngettext
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

UNRANKED = 1000  # far above any rank: a student gets a project they did not rank only when unavoidable


class Infeasible(Exception):
    """No placement keeps every team within the sizes; the message names the numbers."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Result:
    placement: dict[int, int]    # student -> project
    ranks: dict[int, int | None]  # student -> the rank they gave their project (None: not ranked)
    cost: int                    # the sum of those ranks over students who ranked their project


def check_sizes(n: int, projects: list[int], min_size: int, max_size: int, allow_unfilled: bool,
                existing: dict[int, int]) -> None:
    """Refuse sizes that cannot work before solving, naming the numbers."""
    if not projects:
        raise Infeasible(_("The course has no projects to place students in."))
    full = [p for p in projects if existing.get(p, 0) > max_size]
    if full:
        raise Infeasible(ngettext("%(num)s project already has more than %(max)s students: raise the maximum "
                                  "team size.", "%(num)s projects already have more than %(max)s students: raise "
                                  "the maximum team size.", len(full), max=max_size))
    room = sum(max_size - existing.get(p, 0) for p in projects)
    if n > room:
        raise Infeasible(_("%(n)s students do not fit in %(p)s projects of at most %(max)s students (room for "
                           "%(room)s): raise the maximum team size or add projects.",
                           n=n, p=len(projects), max=max_size, room=room))
    need = sum(max(0, min_size - existing.get(p, 0)) for p in projects)
    if not allow_unfilled and n < need:
        raise Infeasible(_("%(n)s students cannot fill %(p)s projects of at least %(min)s students (%(need)s "
                           "are needed): lower the minimum team size or allow projects without a team.",
                           n=n, p=len(projects), min=min_size, need=need))


def assign(students: list[int], projects: list[int], preferences: dict[int, list[int]], min_size: int,
           max_size: int, allow_unfilled: bool = False, existing: dict[int, int] | None = None,
           time_limit: float = 20.0) -> Result:
    """The optimal placement of `students` (ids) over `projects` (ids); `preferences[s]` lists s's
    projects best first. Raises Infeasible with a message naming the numbers."""
    existing = existing or {}
    n, m = len(students), len(projects)
    check_sizes(n, projects, min_size, max_size, allow_unfilled, existing)
    column = {p: j for j, p in enumerate(projects)}
    cost = np.zeros((n, m))
    for i, s in enumerate(students):
        ranked = [p for p in preferences.get(s, []) if p in column]
        if ranked:
            cost[i, :] = UNRANKED
            for rank, p in enumerate(ranked, start=1):
                cost[i, column[p]] = rank
    xs = n * m
    c = np.concatenate([cost.ravel(), np.zeros(m)])
    # Rows 0..n-1: each student once. Rows n..n+m-1: Σ x - max·y ≤ -existing. Rows n+m..: Σ x - min·y ≥ -existing.
    student_rows = np.repeat(np.arange(n), m)
    project_cols = np.tile(np.arange(m), n)
    x_index = np.arange(xs)
    rows = np.concatenate([student_rows, n + project_cols, n + m + project_cols,
                           n + np.arange(m), n + m + np.arange(m)])
    cols = np.concatenate([x_index, x_index, x_index, xs + np.arange(m), xs + np.arange(m)])
    values = np.concatenate([np.ones(3 * xs), np.full(m, -float(max_size)), np.full(m, -float(min_size))])
    matrix = coo_array((values, (rows, cols)), shape=(n + 2 * m, xs + m)).tocsr()
    held = np.array([existing.get(p, 0) for p in projects], dtype=float)
    lower = np.concatenate([np.ones(n), np.full(m, -np.inf), -held])
    upper = np.concatenate([np.ones(n), -held, np.full(m, np.inf)])
    y_lower = np.zeros(m) if allow_unfilled else np.ones(m)
    bounds = Bounds(np.concatenate([np.zeros(xs), y_lower]), np.ones(xs + m))
    solved = milp(c, integrality=np.ones(xs + m), bounds=bounds,
                  constraints=LinearConstraint(matrix, lower, upper), options={"time_limit": time_limit})
    if solved.x is None:
        raise Infeasible(_("No placement of %(n)s students in %(p)s projects keeps every team between %(min)s and "
                           "%(max)s students: change the team sizes or allow projects without a team.",
                           n=n, p=m, min=min_size, max=max_size))
    chosen = solved.x[:xs].reshape(n, m).argmax(axis=1)
    placement, ranks = {}, {}
    for i, s in enumerate(students):
        project = projects[chosen[i]]
        placement[s] = project
        ranked = [p for p in preferences.get(s, []) if p in column]
        ranks[s] = ranked.index(project) + 1 if project in ranked else None
    return Result(placement, ranks, sum(r for r in ranks.values() if r is not None))
