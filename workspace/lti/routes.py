"""LTI 1.3: the platform's login initiation and launch, deep linking, linking a platform course to a
workspace course, the class sync, the tool's key set and configuration, and the platform registrations."""
import json
import os
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.exception import LtiException, OIDCException
from sqlalchemy.orm import selectinload

from ..audit import audit
from ..errors import _page
from ..extensions import csrf, db
from ..forms import EmptyForm, choices
from ..htmx import is_htmx
from ..models import Course, CourseStaff, LaunchedContext, LtiAccount, LtiContext, LtiPlatform
from ..policy import ADMIN, PUBLIC, permission
from ..rules import Refused
from ..security import CSP
from . import cli, services, tool
from .forms import NEW, DeepLinkForm, LinkCourseForm, PlatformForm

bp = Blueprint("lti", __name__, url_prefix="/lti", cli_group=None)
cli.register(bp)
LAUNCH_PREFIX = "lti1p3-launch-"


@bp.record_once
def _configure(state):
    """Settings from the environment; LTI_FRAME_ANCESTORS lets the platform show the workspace in its iframe."""
    config = state.app.config
    config.setdefault("LTI_PRIVATE_KEY_FILE", os.environ.get("LTI_PRIVATE_KEY_FILE", ""))
    config.setdefault("LTI_FRAME_ANCESTORS", os.environ.get("LTI_FRAME_ANCESTORS", ""))
    if config["LTI_FRAME_ANCESTORS"].strip():
        # Inside the platform's iframe the workspace is a third party: its cookies must be SameSite=None (and Secure).
        config.update(SESSION_COOKIE_SAMESITE="None", SESSION_COOKIE_SECURE=True,
                      REMEMBER_COOKIE_SAMESITE="None", REMEMBER_COOKIE_SECURE=True)
        # First in the list so it runs last, after set_security_headers has written its frame-ancestors 'none'.
        state.app.after_request_funcs.setdefault(None, []).insert(0, _allow_platform_frames)


def _allow_platform_frames(response):
    """Only the configured platform origins may frame the workspace (X-Frame-Options cannot name them)."""
    origins = " ".join(current_app.config["LTI_FRAME_ANCESTORS"].split())
    policy = response.headers.get("Content-Security-Policy", CSP)
    response.headers["Content-Security-Policy"] = policy.replace("frame-ancestors 'none'", f"frame-ancestors {origins}")
    response.headers.pop("X-Frame-Options", None)
    return response


def tool_urls() -> dict:
    """What the platform administrator enters when adding the tool."""
    launch = url_for("lti.launch", _external=True)
    return {"login_initiation_url": url_for("lti.login", _external=True), "launch_url": launch,
            "redirect_urls": [launch], "deep_linking_url": launch, "jwks_url": url_for("lti.jwks", _external=True)}


def _problem(message: str, status: int = 400):
    return render_template("lti/problem.html", message=message), status


# ---- the protocol: PUBLIC, protected by state, nonce and the platform's signature ------------

@bp.route("/login", methods=["GET", "POST"])
@permission(PUBLIC)
def login():
    """OIDC login initiation: the platform names itself; we answer with a redirect carrying state and nonce."""
    target = url_for("lti.launch", _external=True)
    try:
        oidc, cookies = tool.oidc_login()
        response = oidc.redirect(target)
    except (OIDCException, LtiException) as problem:
        db.session.rollback()
        audit("lti_login_refused", reason=str(problem)[:200])
        return _problem(_("This learning platform is not registered here. Ask the workspace's administrator "
                          "to register it."))
    db.session.commit()  # the nonce and the state's parameters, for the launch that follows
    return response


# The platform posts the login initiation and the launch from its own pages: they cannot carry our CSRF token.
# They are protected instead by the state cookie, the single-use nonce and the platform's signature.
csrf.exempt(login)


@bp.post("/launch")
@permission(PUBLIC)
def launch():
    """The platform's signed id_token: checked, then the person is signed in with their role in the course."""
    if request.form.get("error") and not request.form.get("id_token"):
        # The platform answers the login request with an OIDC error (e.g. nobody signed in there).
        return render_template("lti/problem.html", message=_(
            "The learning platform could not start the workspace: %(reason)s. Open it again from the platform.",
            reason=request.form.get("error_description") or request.form["error"])[:500]), 200
    try:
        message, _cookies = tool.message_launch()
        claims = message.get_launch_data()
        platform = tool.find_platform(claims["iss"], message.get_client_id())
        arrival = services.arrive(platform, claims)
    except (LtiException, KeyError, ValueError, TypeError) as problem:
        db.session.rollback()
        audit("lti_launch_refused", reason=str(problem)[:200])
        return _problem(_("This launch could not be checked, or it was used already. Open the workspace again "
                          "from the learning platform."))
    except Refused as refused:
        db.session.rollback()
        audit("lti_launch_refused", reason="administrator e-mail")
        return _problem(refused.message, refused.status)
    if arrival.role is None:
        db.session.rollback()
        audit("lti_launch_refused", reason="no instructor or learner role")
        return _problem(_("The workspace is for the teachers and students of a course. Your role in this "
                          "platform course is neither."), 403)
    if not arrival.user.active:
        db.session.rollback()
        audit("lti_launch_refused", user=arrival.user, reason="account deactivated")
        return _problem(_("Your workspace account is deactivated. Contact the administrator."), 403)
    db.session.commit()
    session.clear()
    login_user(arrival.user)  # the same session rules as a password sign-in (auth/sessions.py)
    session.permanent = True
    return _after_launch(message, arrival)


def _after_launch(message, arrival):
    launch_id = message.get_launch_id()
    teacher = arrival.role == "teacher"
    if message.is_deep_link_launch():
        if not teacher:
            return _problem(_("Only a teacher can add the workspace to a platform course."), 403)
        return redirect(url_for("lti.deep_link", launch_id=launch_id), code=303)
    context = arrival.context
    if context is None:
        return _problem(_("Open the workspace from a course in the learning platform."), 400)
    if context.course is None:
        if teacher:
            return redirect(url_for("lti.link", launch_id=launch_id), code=303)
        return render_template("lti/not_connected.html", context=context)
    if teacher:
        return redirect(url_for("courses.show", course_id=context.course_id), code=303)
    flash(_("You are a student of %(course)s. Your teacher will place you in a project team.",
            course=context.course.name), "success")
    return redirect(url_for("main.home"), code=303)


csrf.exempt(launch)


@bp.get("/jwks.json")
@permission(PUBLIC)
def jwks():
    """The tool's public key set: the platform checks our access-token requests and deep-linking answers with it."""
    response = jsonify(tool.tool_jwks())
    db.session.commit()  # a key made just now is kept
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/config.json")
@permission(PUBLIC)
def configuration():
    """The addresses a platform administrator needs, as JSON (nothing secret)."""
    return jsonify({"title": "Co-creation workspace", **tool_urls(),
                    "scopes": ["https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"],
                    "messages": ["LtiResourceLinkRequest", "LtiDeepLinkingRequest"]})


# ---- after a launch: linking the platform course, deep linking ---------------------------------

def load_launch(launch_id, **_):
    """The verified launch stored for this browser (its lti1p3-session-id cookie), or None."""
    if not launch_id.startswith(LAUNCH_PREFIX) or len(launch_id) > 80:
        return None
    try:
        message = tool.restored_launch(launch_id)
        claims = message.get_launch_data()
    except (LtiException, AssertionError):
        return None
    platform = tool.find_platform(claims.get("iss", ""), message.get_client_id())
    user_id = platform and db.session.scalar(db.select(LtiAccount.user_id).where(
        LtiAccount.issuer == platform.issuer, LtiAccount.subject == str(claims.get("sub"))))
    if not user_id:
        return None
    context_id = (claims.get(services.CONTEXT_CLAIM) or {}).get("id")
    context = db.session.scalar(db.select(LtiContext).where(
        LtiContext.platform_id == platform.id, LtiContext.context_id == str(context_id))) if context_id else None
    return LaunchedContext(launch_id=launch_id, user_id=user_id, platform=platform, context=context, claims=claims,
                           instructor=services.role_of(claims.get(services.ROLES_CLAIM, [])) == "teacher",
                           deep_linking=message.is_deep_link_launch())


@bp.route("/launches/<launch_id>/link", methods=["GET", "POST"])
@permission("lti.link_context", load_launch)
def link(launched, launch_id):
    """First Instructor launch: link the platform course to one of your courses, or to a new one."""
    context = launched.context
    courses = services.teachable_courses(current_user)
    form = LinkCourseForm()
    form.course.choices = choices([(str(c.id), c.name) for c in courses] + [(NEW, _("A new course"))])
    if request.method == "GET":
        form.course.data = str(courses[0].id) if courses else NEW
        form.name.data = context.title
    if form.validate_on_submit():
        try:
            if form.course.data == NEW:
                course = services.link_to_new_course(current_user, context, form.name.data, form.term.data or "")
            else:
                course = db.session.get(Course, int(form.course.data))
                services.link_context(current_user, context, course)
        except Refused as refused:
            db.session.rollback()
            form.course.errors.append(refused.message)
        else:
            db.session.commit()
            flash(_("%(title)s in the learning platform now opens %(course)s.",
                    title=context.title or context.context_id, course=course.name), "success")
            return redirect(url_for("courses.show", course_id=course.id), code=303)
    return render_template("lti/link.html", form=form, context=context, launched=launched), 422 if form.errors else 200


@bp.route("/launches/<launch_id>/deep-link", methods=["GET", "POST"])
@permission("lti.deep_link", load_launch)
def deep_link(launched, launch_id):
    """Deep linking: the teacher picks a workspace course; the platform gets a signed link to it."""
    courses = db.session.scalars(
        db.select(Course).join(CourseStaff, CourseStaff.course_id == Course.id)
        .where(CourseStaff.user_id == current_user.id).order_by(Course.name, Course.id)).all()
    form = DeepLinkForm()
    form.course.choices = choices((str(c.id), c.name) for c in courses)
    if form.validate_on_submit():
        course = next(c for c in courses if str(c.id) == form.course.data)
        message = tool.restored_launch(launch_id)
        resource = (DeepLinkResource().set_url(url_for("lti.launch", _external=True)).set_title(course.name)
                    .set_custom_params({services.COURSE_PARAMETER: str(course.id)}))
        deep_link = message.get_deep_link()
        token = deep_link.get_response_jwt([resource])
        return_url = launched.claims[services.DEEP_LINKING_CLAIM]["deep_link_return_url"]
        response = current_app.make_response(render_template(
            "lti/deep_link_return.html", return_url=return_url, token=token, course=course))
        # The answer is posted to the platform: allow that one form target, nothing else.
        response.headers["Content-Security-Policy"] = CSP.replace(
            "form-action 'self'", f"form-action 'self' {_origin(return_url)}")
        return response
    return render_template("lti/deep_link.html", form=form, courses=courses), 422 if form.errors else 200


def _origin(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c in parts.netloc for c in " ;'\""):
        abort(400)
    return f"{parts.scheme}://{parts.netloc}"


# ---- the class list ------------------------------------------------------------------------

def load_course(course_id, **_):
    return db.session.get(Course, course_id)


@bp.post("/courses/<int:course_id>/sync")
@permission("lti.sync", load_course)
def sync(course, course_id):
    """Sync the class with the platform's roster: new learners enrolled, those gone marked as left."""
    EmptyForm().validate_on_submit()  # the token is checked by CSRFProtect before the view
    context = services.context_of(course)
    try:
        if context is None:
            raise Refused(_("This course is not linked to a course in a learning platform."))
        result = services.sync_roster(current_user, context)
    except Refused as refused:
        db.session.rollback()
        if is_htmx():
            return render_template("lti/_course_section.html", course=course, lti_context=context,
                                   problem=refused.message), refused.status
        return _page(refused.status, _("The class was not synced"), refused.message)
    db.session.commit()
    summary = _("Class synced: %(added)s added, %(left)s left, %(unchanged)s unchanged.",
                added=result.added, left=result.left, unchanged=result.unchanged)
    if is_htmx():
        response = current_app.make_response(render_template(
            "lti/_course_section.html", course=course, lti_context=context, result=result))
        response.headers["HX-Trigger"] = json.dumps({"announce": summary})
        return response
    flash(summary, "success")
    return redirect(url_for("courses.show", course_id=course.id), code=303)


@bp.app_context_processor
def _course_link():
    return {"lti_context_of": services.context_of}


# ---- registrations (the operator) --------------------------------------------------------------

def load_platform(platform_id, **_):
    return db.session.get(LtiPlatform, platform_id)


@bp.get("/platforms")
@permission(ADMIN)
def platforms():
    """The registered learning platforms, and the addresses to give a platform's administrator."""
    page = db.paginate(db.select(LtiPlatform).options(selectinload(LtiPlatform.deployments))
                       .order_by(LtiPlatform.name, LtiPlatform.issuer, LtiPlatform.id), per_page=25, error_out=False)
    return render_template("lti/platforms.html", page=page, urls=tool_urls())


def _platform_fields(form) -> dict:
    return {"name": form.name.data or "", "issuer": form.issuer.data, "client_id": form.client_id.data,
            "auth_login_url": form.auth_login_url.data, "auth_token_url": form.auth_token_url.data,
            "key_set_url": form.key_set_url.data, "deployment_ids": form.deployment_list()}


def _save(platform, form):
    try:
        saved = services.save_platform(current_user, platform, **_platform_fields(form))
    except Refused as refused:
        db.session.rollback()
        form.client_id.errors.append(refused.message)
        return None
    db.session.commit()
    flash(_("The learning platform %(name)s is saved.", name=saved.label), "success")
    return redirect(url_for("lti.platforms"), code=303)


@bp.route("/platforms/new", methods=["GET", "POST"])
@permission(ADMIN)
def new_platform():
    """Register a learning platform with what its administrator gave you."""
    form = PlatformForm()
    if form.validate_on_submit() and (done := _save(None, form)):
        return done
    return render_template("lti/platform_form.html", form=form, platform=None), 422 if form.errors else 200


@bp.route("/platforms/<int:platform_id>", methods=["GET", "POST"])
@permission(ADMIN, load_platform)
def edit_platform(platform, platform_id):
    """Change a registration (e.g. a new deployment id or key set URL)."""
    form = PlatformForm(obj=platform)
    if request.method == "GET":
        form.deployment_ids.data = "\n".join(d.deployment_id for d in platform.deployments)
    if form.validate_on_submit() and (done := _save(platform, form)):
        return done
    return render_template("lti/platform_form.html", form=form, platform=platform), 422 if form.errors else 200


@bp.route("/platforms/<int:platform_id>/remove", methods=["GET", "POST"])
@permission(ADMIN, load_platform)
def remove_platform(platform, platform_id):
    """Ask, then remove a registration: launches from it stop; people and enrolments stay."""
    form = EmptyForm()
    if form.validate_on_submit():
        label = platform.label
        services.remove_platform(current_user, platform)
        db.session.commit()
        flash(_("The learning platform %(name)s is removed.", name=label), "success")
        return redirect(url_for("lti.platforms"), code=303)
    return render_template("lti/platform_remove.html", platform=platform, form=form)
