"""Staff workspace. For now only the sign-in page; the workspace follows."""

from flask import Blueprint, redirect, render_template, url_for

from app.staff.forms import LoginForm

bp = Blueprint("staff", __name__)


@bp.get("/")
def index():
    """The workspace entry: sign in first."""
    return redirect(url_for("staff.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign-in form. Until the workspace exists, a valid submission only says so."""
    form = LoginForm()
    submitted = form.validate_on_submit()
    return render_template("staff/login.html", form=form, submitted=submitted)
