"""The demo network: the 13 partner institutions and fictitious staff, for `make run`."""

import base64
import hashlib
import json
from dataclasses import dataclass
from importlib.resources import files

from app.crypto.recovery import CODE_BYTES, format_recovery_code
from app.extensions import db
from app.models import InstitutionKind, Jurisdiction, Role, User
from app.services.accounts.users import create_user, default_language, find_user, grant_role
from app.services.administration.institutions import InstitutionSpec, ensure_institution

# Printed by `flask seed-demo`; the command refuses to run in production.
DEMO_PASSWORD = "skaidra-demo-password"  # noqa: S105
DEMO_DOMAIN = "demo.example.org"  # reserved for documentation (RFC 2606)


@dataclass(frozen=True)
class DemoLogin:
    """One demo account as printed for the person trying Skaidra."""

    email: str
    role: str
    institution_slug: str | None
    name: str


def _demo_data() -> dict:
    return json.loads(files("app").joinpath("data/demo_network.json").read_text("utf-8"))


def demo_institution_specs() -> list[InstitutionSpec]:
    """The partner institutions from app/data/demo_network.json."""
    return [
        InstitutionSpec(
            slug=entry["slug"],
            name_lt=entry["name_lt"],
            name_en=entry["name_en"],
            name_nb=entry["name_nb"],
            kind=InstitutionKind(entry["kind"]),
            jurisdiction=Jurisdiction(entry["jurisdiction"]),
            recovery_code=demo_recovery_code(entry["slug"]),
        )
        for entry in _demo_data()["institutions"]
    ]


def demo_staff_names() -> dict[str, str]:
    """The fictitious person behind each demo account, by e-mail address: personal names
    of the institution's country, the same in every language of the page."""
    data = _demo_data()
    names = {f"platform-admin@{DEMO_DOMAIN}": data["network_staff"]["platform_admin"],
             f"analyst@{DEMO_DOMAIN}": data["network_staff"]["analyst"]}
    for entry in data["institutions"]:
        for account, name in entry["staff"].items():
            names[f"{account}.{entry['slug']}@{DEMO_DOMAIN}"] = name
    return names


def demo_recovery_code(slug: str) -> str:
    """The demo institution's recovery code: derived from its slug, so as public as the
    demo passwords. Real institutions get random codes from create_institution()."""
    digest = hashlib.sha256(f"skaidra-demo-recovery:{slug}".encode()).digest()
    return format_recovery_code(base64.b32encode(digest[:CODE_BYTES]).decode())


def _ensure_user(email: str, name: str, language: str = "lt", **flags: bool) -> User:
    """The demo account, made when missing; a new one reads ``language`` until its holder
    chooses another (as a real member of an institution set up from outside would)."""
    user = find_user(email)
    if user is None:
        user = create_user(email, name, DEMO_PASSWORD, **flags)
        user.language = language
        db.session.commit()
    return user


def seed_demo_network() -> list[DemoLogin]:
    """Create what is missing of the demo network; safe to run again.

    Existing accounts keep their passwords: a second run never resets anything.
    """
    names = demo_staff_names()
    logins = [DemoLogin(email, role, None, names[email]) for email, role in (
        (f"platform-admin@{DEMO_DOMAIN}", "platform_admin"),
        (f"analyst@{DEMO_DOMAIN}", "analyst"))]
    _ensure_user(logins[0].email, names[logins[0].email], is_platform_admin=True)
    _ensure_user(logins[1].email, names[logins[1].email], is_analyst=True)
    for spec in demo_institution_specs():
        institution, _created = ensure_institution(spec)
        staff = [
            (f"admin.{spec.slug}@{DEMO_DOMAIN}", Role.INSTITUTION_ADMIN),
            (f"officer1.{spec.slug}@{DEMO_DOMAIN}", Role.OFFICER),
            (f"officer2.{spec.slug}@{DEMO_DOMAIN}", Role.OFFICER),
        ]
        language = default_language(institution, None)
        for email, role in staff:
            grant_role(_ensure_user(email, names[email], language), institution, role)
            logins.append(DemoLogin(email, role.value, spec.slug, names[email]))
    return logins
