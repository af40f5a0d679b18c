"""Database sessions in one statement per save.

Django's database session store asks whether a new random key is taken (a
SELECT) and wraps every save in a transaction (BEGIN and COMMIT): four round
trips to create the session a check keeps its number in. Here a new key is
simply inserted, and the primary key refuses the one-in-36^32 duplicate (then
another key is drawn, as Django does); outside a transaction a single INSERT
or UPDATE is atomic on its own, so none is opened. Inside one (a caller's
atomic block) Django's own save runs, whose savepoint keeps a failed insert
from breaking the caller's transaction. The table, the expiry and
clear_expired() are Django's.
"""

from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import DatabaseError, IntegrityError, connections, router
from django.utils.crypto import get_random_string


class SessionStore(DatabaseSessionStore):
    def _get_new_session_key(self) -> str:
        # A taken key fails the insert (CreateError) and create() draws again.
        return get_random_string(32, VALID_KEY_CHARS)

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            return self.create()
        data = self._get_session(no_load=must_create)
        obj = self.create_model_instance(data)
        using = router.db_for_write(self.model, instance=obj)
        if connections[using].in_atomic_block:
            return super().save(must_create=must_create)
        try:
            obj.save(force_insert=must_create, force_update=not must_create, using=using)
        except IntegrityError:
            if must_create:
                raise CreateError from None
            raise
        except DatabaseError:
            if not must_create:
                raise UpdateError from None
            raise
