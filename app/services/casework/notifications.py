"""E-mails to officers that say *that* something happened, never *what*.

A notice names the institution and the kind of event (a new report, a reporter's reply, a
deadline) and links to the staff workspace. It carries no category, text, name or file of
any report: mailboxes, mail servers and forwarding rules are outside Skaidra's encryption.
Notices go to the active officers of the report's institution who hold a sealed copy of its
key, each in their own language.

Notices of new reports and replies are never sent during the reporter's request: intake
and the mailbox only mark the report (``Report.pending_notice``), and ``flask notify``, run
from a timer (hourly, say), sends what is pending. An e-mail's arrival time, and the mail
server's headers and logs, then tell only that something happened since the last run, not
the second a reporter acted. A failure is logged by exception class only (never an address
or a server reply, which may contain one) and never reaches the caller.
"""

import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import select

from app.extensions import db
from app.languages import LANGUAGES
from app.models import Institution, Membership, Report, ReportStatus, Role, SealedKey, User
from app.services.accounts.users import default_language, find_user
from app.services.casefile.deadlines import DUE_SOON_DAYS
from app.services.casefile.deadlines import today as current_day


def notify_new_report(report: Report) -> int:
    """Tell the report's readers that it has arrived; returns the number of e-mails sent.

    Call after the report is committed. Never raises.
    """
    return _send(lambda: [_case_notice(user, report, "email/new_report.txt",
                                       _l("New report for %(institution)s"))
                          for user in _readers(report)])


def notify_reporter_replied(report: Report) -> int:
    """Tell the report's readers that the reporter wrote; returns the number of e-mails sent.

    Call after the message is committed. Never raises.
    """
    return _send(lambda: [_case_notice(user, report, "email/reporter_replied.txt",
                                       _l("New message from a reporter to %(institution)s"))
                          for user in _readers(report)])


NOTICES = {"new_report": notify_new_report, "reporter_replied": notify_reporter_replied}

# Changes to an account that its holder must hear about from Skaidra itself, whoever made
# them: an account taken over through a recovery link would otherwise change silently.
ACCOUNT_CHANGES = {
    "account_recovered": _l("An administrator of %(institution)s issued a recovery link "
                            "for your account: it replaces your password, two-factor "
                            "sign-in and keys when it is opened."),
    "recovery_completed": _l("Your account was recovered through a recovery link: it now "
                             "has a new password, two-factor sign-in and keys."),
    "password_changed": _l("The password of your account was changed."),
    "membership_accepted": _l("Your account accepted a role in %(institution)s."),
}


def notify_account_change(user: User, change: str, institution: Institution | None = None
                          ) -> int:
    """Tell an account's holder that its credentials or roles changed; returns the number
    of e-mails sent (0 or 1). Staff are not anonymous, so this is sent at once.

    Call after the change is committed. Never raises.
    """
    def compose() -> list[EmailMessage]:
        language = _language(user)
        name = institution.name(language) if institution is not None else ""
        with force_locale(language):
            return [_email(user, language, _("Your Skaidra account was changed"),
                           render_template("email/account_changed.txt",
                                           change=str(ACCOUNT_CHANGES[change])
                                           % {"institution": name},
                                           account_url=_staff_url("/staff/account")))]
    return _send(compose)


def mail_configured() -> bool:
    """Whether e-mails can be sent at all (a server and a sender are set)."""
    config = current_app.config
    return bool(config.get("MAIL_SERVER") and config.get("MAIL_DEFAULT_SENDER"))


def send_invitation(email: str, institution: Institution, role_label: LazyString,
                    link_url: str, inviter: User) -> int:
    """E-mail an invitation link to the address it was made for, in the invitee's language
    (an account's own; for a new address the one the account will start with); returns
    the number of e-mails sent (0 or 1). The text is otherwise the same for a new address
    and an existing account, and the inviting admin never sees the link: so inviting
    cannot tell them whether the address has an account. Never raises."""
    invitee = find_user(email)
    language = (invitee.language if invitee is not None and invitee.language in LANGUAGES
                else default_language(institution, inviter))

    def compose() -> list[EmailMessage]:
        with force_locale(language):
            name = institution.name(language)
            return [_email(email, language, _("Invitation to Skaidra from %(institution)s",
                                              institution=name),
                           render_template("email/invitation.txt", institution=name,
                                           role=str(role_label), link_url=link_url,
                                           days=current_app.config["ACCOUNT_LINK_DAYS"]))]
    return _send(compose)


def send_pending_notices() -> int:
    """Send the notices intake and the mailbox have queued, and clear them; returns the
    number of e-mails sent. Run by ``flask notify``."""
    sent, flood_announced = 0, set()
    for report in db.session.scalars(select(Report).where(Report.pending_notice.is_not(None))
                                     .order_by(Report.id)).all():
        kind, report.pending_notice = report.pending_notice, None
        db.session.commit()
        if kind == "possible_flood":
            # Reports past the institution's limit: one notice of a new report per
            # institution and run, so a flood neither floods mailboxes nor goes unnoticed.
            if report.institution_id in flood_announced:
                continue
            flood_announced.add(report.institution_id)
        sent += NOTICES.get(kind, notify_new_report)(report)
    return sent


@dataclass
class _DueCases:
    """One officer's open cases of one institution whose deadline is near or past."""

    institution: Institution
    overdue: list[str] = field(default_factory=list)
    due_soon: list[str] = field(default_factory=list)


def send_daily_reminders(today: date | None = None) -> int:
    """E-mail each officer how many of their cases are overdue or due within DUE_SOON_DAYS,
    with links to them; returns the number of e-mails sent.

    Run once a day by ``flask remind`` (cron or a systemd timer). Officers with nothing due
    get no e-mail.

    :param today: the day to count from; the current day when omitted.
    """
    day = today or current_day()

    def compose() -> list[EmailMessage]:
        due: dict[User, dict[int, _DueCases]] = {}
        for user, report in _open_cases_due_by(day + timedelta(days=DUE_SOON_DAYS)):
            cases = due.setdefault(user, {}).setdefault(
                report.institution_id, _DueCases(report.institution))
            (cases.overdue if report.due_on < day else cases.due_soon).append(_case_url(report))
        return [_reminder(user, list(groups.values())) for user, groups in due.items()]

    return _send(compose)


def _readers(report: Report) -> list[User]:
    """Active officers of the report's institution who hold a sealed copy of its key."""
    return list(db.session.scalars(
        select(User)
        .join(SealedKey, SealedKey.user_id == User.id)
        .join(Membership, Membership.user_id == User.id)
        .where(SealedKey.report_id == report.id,
               Membership.institution_id == report.institution_id,
               Membership.role == Role.OFFICER,
               User.is_active.is_(True))
        .order_by(User.id)
    ))


def _open_cases_due_by(last_day: date) -> list[tuple[User, Report]]:
    """(reader, report) for every open report due on or before ``last_day``."""
    rows = db.session.execute(
        select(User, Report)
        .join(SealedKey, SealedKey.user_id == User.id)
        .join(Report, Report.id == SealedKey.report_id)
        .join(Membership, (Membership.user_id == User.id)
              & (Membership.institution_id == Report.institution_id))
        .where(Membership.role == Role.OFFICER,
               User.is_active.is_(True),
               Report.status != ReportStatus.CLOSED,
               Report.due_on.is_not(None),
               Report.due_on <= last_day)
        .order_by(User.id, Report.institution_id, Report.due_on, Report.id)
    )
    return [(user, report) for user, report in rows]


def _staff_url(path: str) -> str:
    """An absolute link into the staff workspace, from configuration only (never from the
    request's Host header, which a sender could forge)."""
    config = current_app.config
    return (config.get("STAFF_BASE_URL") or config.get("PUBLIC_BASE_URL") or "") + path


def _case_url(report: Report) -> str:
    return _staff_url(f"/staff/cases/{report.ref}")


def _language(user: User) -> str:
    return user.language if user.language in LANGUAGES else LANGUAGES[0]


def _case_notice(user: User, report: Report, template: str, subject: LazyString
                 ) -> EmailMessage:
    """One notice about one case, in the recipient's language.

    :param subject: a lazy message with an ``%(institution)s`` placeholder, translated here.
    """
    language = _language(user)
    institution = report.institution.name(language)
    with force_locale(language):
        return _email(user, language, str(subject) % {"institution": institution},
                      render_template(template, institution=institution,
                                      case_url=_case_url(report)))


def _reminder(user: User, groups: list[_DueCases]) -> EmailMessage:
    """The daily reminder for one officer: counts and links per institution."""
    language = _language(user)
    listed = sorted(({"institution": group.institution.name(language),
                      "overdue": group.overdue, "due_soon": group.due_soon} for group in groups),
                    key=lambda group: group["institution"])
    with force_locale(language):
        return _email(user, language, _("Deadlines near or passed in your cases"),
                      render_template("email/reminder.txt", groups=listed,
                                      due_soon_days=DUE_SOON_DAYS,
                                      workspace_url=_staff_url("/staff/")))


def _email(recipient: User | str, language: str, subject: str, body: str) -> EmailMessage:
    # No Date or Message-ID header: both would carry the exact time, to the second, at which a
    # reporter sent something. The submitting mail server adds its own.
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = recipient.email if isinstance(recipient, User) else recipient
    message["Subject"] = subject
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    message["Content-Language"] = language  # after set_content, which drops Content-* headers
    return message


def _send(compose: Callable[[], list[EmailMessage]]) -> int:
    """Compose and deliver notices when mail is configured; never raises."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return 0
    if not config.get("MAIL_DEFAULT_SENDER"):
        current_app.logger.warning("Notifications not sent: MAIL_DEFAULT_SENDER is not set.")
        return 0
    try:
        messages = compose()
    except Exception as error:
        # The report itself is committed; only this read-only lookup is abandoned.
        db.session.rollback()
        _log_failure(error)
        return 0
    return _deliver(messages) if messages else 0


def _deliver(messages: list[EmailMessage]) -> int:
    """Send the messages over one SMTP connection; returns how many were accepted."""
    config = current_app.config
    sent = 0
    try:
        with _connect(config) as smtp:
            for message in messages:
                try:
                    smtp.send_message(message)
                    sent += 1
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as error:
                    # One refused address must not keep the other officers uninformed.
                    _log_failure(error)
    except Exception as error:
        _log_failure(error)
    return sent


def _connect(config) -> smtplib.SMTP:
    """An open, authenticated SMTP connection as configured."""
    server, port, timeout = (config["MAIL_SERVER"], config["MAIL_PORT"],
                             config["MAIL_TIMEOUT_SECONDS"])
    context = ssl.create_default_context()
    if config["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(server, port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(server, port, timeout=timeout)
    try:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls(context=context)
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    except BaseException:
        smtp.close()
        raise
    return smtp


def _log_failure(error: Exception) -> None:
    # The class name only: SMTP errors quote recipient addresses and server replies.
    current_app.logger.warning("Notification e-mail not sent: %s", type(error).__name__)
