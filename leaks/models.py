from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils.translation import gettext_lazy as _

from leaks.hashing import HASH_BYTES
from leaks.phones import KIND_LABELS, REASONS


class BreachQuerySet(models.QuerySet):
    def public(self) -> "BreachQuerySet":
        """Breaches the public may see anywhere (pages, API, check results, alerts):
        published by an admin after a finished import, holding numbers, not retired."""
        return self.filter(is_retired=False, published_at__isnull=False, pwn_count__gt=0)


class Breach(models.Model):
    """A leaked dataset, described with the fields Have I Been Pwned made familiar."""

    slug = models.SlugField(_("name"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=200)
    domain = models.CharField(_("domain"), max_length=200, blank=True)
    breach_date = models.DateField(_("breach date"), null=True, blank=True)
    added_date = models.DateTimeField(_("added"), auto_now_add=True)
    modified_date = models.DateTimeField(_("modified"), auto_now=True)
    description = models.TextField(_("description"), blank=True)
    data_classes = models.JSONField(_("data classes"), default=list, blank=True)
    pwn_count = models.PositiveBigIntegerField(_("distinct numbers"), default=0, editable=False)
    is_verified = models.BooleanField(_("verified"), default=False)
    is_fabricated = models.BooleanField(_("fabricated"), default=False)
    is_sensitive = models.BooleanField(
        _("sensitive"),
        default=False,
        help_text=_("Its mere presence could harm a person: never shown without proof."),
    )
    is_retired = models.BooleanField(_("retired"), default=False)
    is_spam_list = models.BooleanField(_("spam list"), default=False)
    published_at = models.DateTimeField(
        _("published"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Shown to the public only once an admin publishes it after an import."),
    )

    objects = BreachQuerySet.as_manager()

    class Meta:
        ordering = ["-breach_date", "title"]
        verbose_name = _("breach")
        verbose_name_plural = _("breaches")

    def __str__(self) -> str:
        return self.title


class ImportJob(models.Model):
    """One import of one dump file into one breach, with its report."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    breach = models.ForeignKey(
        Breach, verbose_name=_("breach"), on_delete=models.CASCADE, related_name="imports"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    source_name = models.CharField(_("file"), max_length=255)
    file_path = models.CharField(max_length=1000)
    delete_file = models.BooleanField(default=False)
    options = models.JSONField(default=dict, blank=True)
    plan = models.JSONField(default=dict, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    rows = models.PositiveBigIntegerField(_("rows read"), default=0)
    valid = models.PositiveBigIntegerField(_("valid"), default=0)
    invalid = models.PositiveBigIntegerField(_("invalid"), default=0)
    duplicates = models.PositiveBigIntegerField(_("duplicates in the file"), default=0)
    known = models.PositiveBigIntegerField(_("already known"), default=0)
    new = models.PositiveBigIntegerField(_("new"), default=0)
    report = models.JSONField(_("report"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    # Deliveries of the planning task that started planning: a task redelivered
    # after its worker died stops at IMPORT_MAX_ATTEMPTS (imports/importer.py).
    plan_attempts = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.source_name} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def file_kept(self) -> bool:
        """A failed upload whose file is still here, for a retry with other options."""
        return (
            self.status == self.Status.FAILED
            and self.delete_file
            and bool(self.file_path)
            and Path(self.file_path).is_file()
        )

    def invalid_reasons(self) -> list[tuple[str, int]]:
        """Why values were invalid, readable, with counts; never the values."""
        reasons = (self.report or {}).get("invalid_reasons", {})
        # Reasons are sentences; the report puts a colon after them.
        return [
            (str(REASONS.get(code, code)).rstrip("。."), count) for code, count in reasons.items()
        ]

    def kinds_labelled(self) -> list[tuple[str, int]]:
        """Kinds of number in the admin's language, with counts."""
        kinds = (self.report or {}).get("kinds", {})
        return [(str(KIND_LABELS.get(kind, kind)), count) for kind, count in kinds.items()]

    def column_found_by(self) -> str:
        found = {
            "header": _("by its header"),
            "content": _("by its content"),
            "admin": _("as given"),
            "list": _("one value a line"),
        }
        by = ((self.report or {}).get("column") or {}).get("by", "")
        return str(found.get(by, by))

    def summary(self) -> dict:
        return {
            "job": self.pk,
            "breach": self.breach.slug,
            "status": self.status,
            "rows": self.rows,
            "valid": self.valid,
            "invalid": self.invalid,
            "duplicates": self.duplicates,
            "known": self.known,
            "new": self.new,
            "error": self.error,
        }


class CompactForeignKey(models.ForeignKey):
    """A foreign key stored as int4 whatever its target's key type: in the table that
    grows without bound 4 bytes a row count, and breach ids stay far below 2^31.
    (PostgreSQL accepts an int4 column referencing an int8 key.)"""

    def db_type(self, connection: BaseDatabaseWrapper) -> str | None:
        return models.IntegerField().db_type(connection)


class Exposure(models.Model):
    """A number seen in a breach, as its stored key (`leaks.hashing`); never the number.

    The natural key is the primary key and the only index: about 76 bytes per
    exposure in PostgreSQL, table and index together (README, "The keyed function").
    The key leads with the number's bucket, so a bucket (the private check's answer)
    is one range of it.
    Which import brought a row is not kept per row: see NewExposure.
    """

    pk = models.CompositePrimaryKey("phone_key", "key_version", "breach")
    phone_key = models.BigIntegerField()
    key_version = models.PositiveSmallIntegerField()
    breach = CompactForeignKey(
        Breach, on_delete=models.CASCADE, related_name="exposures", db_index=False
    )

    def __str__(self) -> str:
        return f"exposure in breach {self.breach_id}"


class NewExposure(models.Model):
    """The keys an import added to its breach, kept only until its alerts are matched."""

    pk = models.CompositePrimaryKey("job", "phone_key", "key_version")
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="+", db_index=False)
    phone_key = models.BigIntegerField()
    key_version = models.PositiveSmallIntegerField()

    def __str__(self) -> str:
        return f"new exposure of job {self.job_id}"


class LegacyExposure(models.Model):
    """A row imported before the OPRF, under the HMAC of `leaks.hashing.legacy_phone_hash`.

    It keeps answering server-side checks until its dump is imported again;
    the private check cannot see it (README: "Upgrading from HMAC rows")."""

    breach = models.ForeignKey(Breach, on_delete=models.CASCADE, related_name="+")
    phone_hash = models.BinaryField(max_length=HASH_BYTES)
    key_version = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["phone_hash", "key_version", "breach"], name="exposure_unique"
            )
        ]

    def __str__(self) -> str:
        return f"legacy exposure {self.pk} in breach {self.breach_id}"


class ImportChunk(models.Model):
    """A byte range of a dump that one worker stages; the whole file for other formats."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    start = models.PositiveBigIntegerField(default=0)
    end = models.PositiveBigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    worker = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveBigIntegerField(default=0)
    bytes_done = models.PositiveBigIntegerField(default=0)
    tally = models.JSONField(default=dict, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["job", "index"]
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="import_chunk_unique")]

    def __str__(self) -> str:
        return f"chunk {self.index} of job {self.job_id} ({self.status})"


class MergePart(models.Model):
    """One key range of an import's merge on PostgreSQL, run by one worker (imports/merge.py).

    DONE is written in the transaction that merged the range, with its counts,
    so a part is merged exactly once however often its task runs."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        DONE = "done", _("done")

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="merge_parts")
    index = models.PositiveSmallIntegerField()
    first_key = models.BigIntegerField()
    last_key = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    new = models.PositiveBigIntegerField(default=0)
    distinct = models.PositiveBigIntegerField(default=0)
    worker = models.CharField(max_length=200, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["job", "index"]
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="merge_part_unique")]

    def __str__(self) -> str:
        return f"merge part {self.index} of job {self.job_id} ({self.status})"


class StagedHash(models.Model):
    """Keys an import has read but not yet merged into its breach's exposures.

    A chunk's rows may be staged more than once (a worker killed mid-chunk, then
    the chunk run again); the merge takes DISTINCT keys, so that is harmless.
    No foreign key constraint: COPY into this table must stay cheap.
    """

    job = models.ForeignKey(
        ImportJob, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    chunk = models.PositiveIntegerField(default=0)
    phone_key = models.BigIntegerField()
    key_version = models.PositiveSmallIntegerField()

    def __str__(self) -> str:
        return f"staged key {self.pk} of job {self.job_id}"


class OwnershipCode(models.Model):
    """A pending SMS code proving a number. Neither the number nor the code is stored:
    the number as a keyed digest (`proof.session.number_digest`, under SECRET_KEY, not the
    pepper), the code as an HMAC bound to it. Deleted when used, replaced or expired."""

    phone_hash = models.BinaryField(max_length=HASH_BYTES)
    key_version = models.PositiveSmallIntegerField()
    code_hash = models.BinaryField(max_length=32)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["phone_hash"], name="ownership_code_phone")]

    def __str__(self) -> str:
        return f"ownership code {self.pk}"
