"""The institution's action plan: measures planned after an assessment, and their progress.

Every change to the plan is audited.
"""

from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.models import ActionItem, ActionStatus, Assessment, Institution, User
from app.services import audit


def actions_of(institution: Institution) -> list[ActionItem]:
    """The action plan: open items by due date, then finished ones."""
    items = db.session.scalars(select(ActionItem).where(
        ActionItem.institution_id == institution.id).order_by(ActionItem.id)).all()
    finished = (ActionStatus.DONE, ActionStatus.DROPPED)
    return sorted(items, key=lambda item: (item.status in finished,
                                           item.due_on or date.max, item.id))


def add_action(institution: Institution, user: User, title: str, owner_role: str,
               due_on: date | None, area_id: str | None = None,
               assessment: Assessment | None = None) -> ActionItem:
    """A new planned measure, audited."""
    item = ActionItem(institution=institution, title=title, owner_role=owner_role,
                      due_on=due_on, area_id=area_id or None, assessment=assessment)
    db.session.add(item)
    db.session.flush()
    audit.record("action_plan_changed", actor=user, institution=institution, item=item.id,
                 status=item.status.value)
    db.session.commit()
    return item


def update_action(item: ActionItem, user: User, status: ActionStatus,
                  due_on: date | None) -> None:
    """Move a measure on or reschedule it, audited."""
    item.status, item.due_on = status, due_on
    audit.record("action_plan_changed", actor=user, institution=item.institution_id,
                 item=item.id, status=status.value)
    db.session.commit()


def find_action(institution: Institution, item_id: int) -> ActionItem | None:
    """One of the institution's planned measures (None for another institution's)."""
    return db.session.scalar(select(ActionItem).where(
        ActionItem.id == item_id, ActionItem.institution_id == institution.id))
