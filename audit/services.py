from django.contrib.auth.models import User
from django.db import models

from audit.context import current_actor
from audit.models import AuditEvent

SYSTEM = "system"


def audit_record(
    *, action: str, obj: models.Model, actor: User | None = None, changes: dict | None = None
) -> AuditEvent:
    """Write one audit event about ``obj``; the actor defaults to the request's user."""
    actor = actor or current_actor()
    return AuditEvent.objects.create(
        actor=actor,
        actor_name=actor.get_username() if actor is not None else SYSTEM,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=changes or {},
    )
