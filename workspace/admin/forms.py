"""Admin forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField

from ..courses.forms import CourseForm
from ..forms import name_field


class UserForm(FlaskForm):
    name = name_field()
    is_teacher = BooleanField(_l("Teacher: may create courses and organisations"))
    is_admin = BooleanField(_l("Administrator"))
    active = BooleanField(_l("Account active (may sign in)"))
    sso_only = BooleanField(_l("Sign in only with the institution account (no password, no e-mailed links)"))


class AdminCourseForm(CourseForm):
    teacher_id = SelectField(_l("First teacher"), coerce=int)
