"""Audit receivers: breach creation, edits and deletion, and every import started.

Signals rather than admin hooks, so edits from the admin, the shell and
management commands are all recorded.
"""

from typing import Any
from weakref import WeakKeyDictionary

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from audit.models import AuditEvent
from audit.services import audit_record
from leaks.models import Breach, ImportJob

# Saved by the importer after every import; the import event covers it.
_BOOKKEEPING = {"pwn_count", "modified_date"}

# A saved breach's values before the save, from pre_save to its post_save. Weak,
# so a save that fails between the two leaves nothing behind; only breaches with
# a primary key are kept (a model without one cannot be a key, and is new anyway).
_old_values: WeakKeyDictionary[Breach, dict[str, object]] = WeakKeyDictionary()


def _values(breach: Breach) -> dict[str, object]:
    return {
        field.name: _plain(field.value_from_object(breach))
        for field in Breach._meta.concrete_fields
        if field.name not in _BOOKKEEPING and field.name not in ("id", "added_date")
    }


def _plain(value: object) -> object:
    """A JSON-friendly form that compares equal for equal values (a date or its string)."""
    if value is None or isinstance(value, bool | int | list | dict):
        return value
    return str(value)


@receiver(pre_save, sender=Breach)
def _remember_old(sender: type[Breach], instance: Breach, raw: bool = False, **kwargs: Any) -> None:
    if not instance.pk:
        return
    old = Breach.objects.filter(pk=instance.pk).first() if not raw else None
    if old is not None:
        _old_values[instance] = _values(old)
    else:
        _old_values.pop(instance, None)


@receiver(post_save, sender=Breach)
def _breach_saved(
    sender: type[Breach],
    instance: Breach,
    created: bool,
    raw: bool = False,
    update_fields: frozenset[str] | None = None,
    **kwargs: Any,
) -> None:
    old = _old_values.pop(instance, None)
    if raw or (update_fields and set(update_fields) <= _BOOKKEEPING):
        return
    new = _values(instance)
    if created or old is None:
        audit_record(action=AuditEvent.Action.CREATE, obj=instance, changes=new)
        return
    changes = {
        name: [old.get(name), value] for name, value in new.items() if old.get(name) != value
    }
    if changes:
        audit_record(action=AuditEvent.Action.CHANGE, obj=instance, changes=changes)


@receiver(post_delete, sender=Breach)
def _breach_deleted(sender: type[Breach], instance: Breach, **kwargs: Any) -> None:
    audit_record(
        action=AuditEvent.Action.DELETE,
        obj=instance,
        changes={"slug": instance.slug, "pwn_count": instance.pwn_count},
    )


@receiver(post_save, sender=ImportJob)
def _import_started(
    sender: type[ImportJob], instance: ImportJob, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if not created or raw:
        return
    audit_record(
        action=AuditEvent.Action.IMPORT,
        obj=instance.breach,
        actor=instance.created_by,
        changes={"job": instance.pk, "file": instance.source_name},
    )
