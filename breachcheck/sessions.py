"""Database sessions saved without a key probe and without waiting for the disk.

Django's database session store asks whether a new random key is taken (a
SELECT) and wraps every save in a transaction (BEGIN and COMMIT): four round
trips to create the session a check keeps its number in, and its commit waits
for the WAL to reach the disk. Here a new key is simply inserted, and the
primary key refuses the one-in-36^32 duplicate (then another key is drawn, as
Django does). On PostgreSQL the write commits without waiting for the flush
(synchronous_commit off for that transaction only: a crash may lose the last
moment's sessions, never corrupt anything); that transaction is still four
round trips (BEGIN, SET LOCAL, the write, COMMIT): what it saves is the wait
for the disk, not a round trip. Elsewhere a lone INSERT or UPDATE runs without
a transaction around it. Inside a caller's atomic block Django's
own save runs, whose savepoint keeps a failed insert from breaking the
caller's transaction. The table, the expiry and clear_expired() are Django's.
"""

from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import DatabaseError, IntegrityError, connections, router, transaction
from django.utils.crypto import get_random_string


class SessionStore(DatabaseSessionStore):
    def _get_new_session_key(self) -> str:
        # A taken key fails the insert (CreateError) and create() draws again.
        return get_random_string(32, VALID_KEY_CHARS)

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            return self.create()
        using = router.db_for_write(self.model)
        connection = connections[using]
        if connection.in_atomic_block:
            return super().save(must_create=must_create)
        # SessionBase._get_session is Django's own, missing from django-stubs.
        data = self._get_session(no_load=must_create)  # type: ignore[attr-defined]
        obj = self.create_model_instance(data)
        try:
            if connection.vendor == "postgresql":
                # A lost session costs a visitor one more check; waiting for the WAL
                # flush cost every check more than everything else it does.
                with transaction.atomic(using=using):
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL synchronous_commit TO OFF")
                    obj.save(force_insert=must_create, force_update=not must_create, using=using)
            else:
                obj.save(force_insert=must_create, force_update=not must_create, using=using)
        except IntegrityError:
            if must_create:
                raise CreateError from None
            raise
        except DatabaseError:
            if not must_create:
                raise UpdateError from None
            raise
