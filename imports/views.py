"""Staff pages: upload a dump, watch its import (the page survives a reload), then
publish the breach: a checklist, a preview of its public page, one POST."""

import shutil
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from imports.errors import error_for_web
from imports.forms import ENCODINGS, ImportOptionsForm, UploadForm
from imports.jobs import import_create, import_discard_file, import_retry
from imports.readers import DumpError
from leaks.catalogue import breach_page
from leaks.forms import CheckForm
from leaks.models import Breach, ImportJob
from leaks.publishing import (
    PublishRefused,
    breach_publish,
    breach_readiness,
    breach_unpublish,
)


@staff_member_required
def import_new(request: HttpRequest) -> HttpResponse:
    initial = {"breach": request.GET.get("breach")}
    _require(request, "leaks.add_importjob")
    form = UploadForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if not form.cleaned_data["breach"]:
            _require(request, "leaks.add_breach")
        path = _keep_upload(form.cleaned_data["dump"])
        with transaction.atomic():
            breach = form.cleaned_data["breach"] or Breach.objects.create(
                slug=form.cleaned_data["new_slug"],
                title=form.cleaned_data["new_title"] or form.cleaned_data["new_slug"],
            )
            job = import_create(
                breach=breach,
                path=path,
                source_name=Path(form.cleaned_data["dump"].name).name[:255],
                delete_file=True,
                options=form.options(),
                user=_staff_user(request),
            )
        return redirect("bc-import-detail", job_id=job.pk)
    context = {**admin.site.each_context(request), "form": form, "encodings": ENCODINGS}
    return render(request, "leaks/import_new.html", context)


def _require(request: HttpRequest, permission: str) -> None:
    # Staff status only opens the door; what a person may do comes from permissions.
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _staff_user(request: HttpRequest) -> User:
    # staff_member_required has let in only a logged-in staff member.
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


def _keep_upload(upload: UploadedFile) -> Path:
    """Move the streamed temporary file under UPLOAD_DIR with a name of our own."""
    folder = Path(settings.UPLOAD_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{uuid.uuid4().hex}.dump"
    if hasattr(upload, "temporary_file_path"):
        shutil.move(upload.temporary_file_path(), target)
    else:
        with open(target, "wb") as out:
            for piece in upload.chunks():
                out.write(piece)
    return target


@staff_member_required
def import_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    _require(request, "leaks.view_importjob")
    job = get_object_or_404(ImportJob.objects.select_related("breach"), pk=job_id)
    retry_form = ImportOptionsForm(initial=job.options) if job.file_kept else None
    return _detail(request, job, retry_form)


def _detail(
    request: HttpRequest,
    job: ImportJob,
    retry_form: ImportOptionsForm | None,
    status: int = 200,
) -> HttpResponse:
    context = {
        **admin.site.each_context(request),
        **_publishing(request, job.breach),
        "job": job,
        "progress": progress(job),
        "retry_form": retry_form,
        "encodings": ENCODINGS,
        "can_retry": request.user.has_perm("leaks.add_importjob"),
        "failed_hours": settings.IMPORT_FAILED_FILE_HOURS,
    }
    return render(request, "leaks/import_detail.html", context, status=status)


@staff_member_required
def import_retry_view(request: HttpRequest, job_id: int) -> HttpResponse:
    """Import a failed job's kept file again with the options from the form."""
    _require(request, "leaks.add_importjob")
    job = get_object_or_404(ImportJob.objects.select_related("breach"), pk=job_id)
    if request.method != "POST":
        return redirect("bc-import-detail", job_id=job.pk)
    form = ImportOptionsForm(request.POST)
    if not form.is_valid():
        return _detail(request, job, form, status=400)
    try:
        retry = import_retry(job=job, options=form.options(), user=_staff_user(request))
    except DumpError:
        form.add_error(None, _("The file of this import is gone; upload it again."))
        return _detail(request, job, form, status=409)
    return redirect("bc-import-detail", job_id=retry.pk)


@staff_member_required
def import_discard_view(request: HttpRequest, job_id: int) -> HttpResponse:
    """Delete a failed job's kept file now instead of after IMPORT_FAILED_FILE_HOURS."""
    _require(request, "leaks.add_importjob")
    job = get_object_or_404(ImportJob, pk=job_id)
    if request.method == "POST":
        import_discard_file(job)
    return redirect("bc-import-detail", job_id=job.pk)


@staff_member_required
def import_progress(request: HttpRequest, job_id: int) -> JsonResponse:
    _require(request, "leaks.view_importjob")
    job = get_object_or_404(ImportJob, pk=job_id)
    return JsonResponse(progress(job))


def progress(job: ImportJob) -> dict:
    """Rows and bytes done, speed and time left; counts only, never a number."""
    rows = done_bytes = 0
    for chunk in job.chunks.all():
        rows += chunk.rows_done
        span = (chunk.end if chunk.end is not None else job.size) - chunk.start
        done_bytes += span if chunk.status == chunk.Status.DONE else chunk.bytes_done
    if job.status == ImportJob.Status.DONE:
        rows, done_bytes = job.rows, job.size
    elapsed = (
        (job.finished_at or timezone.now()) - (job.started_at or timezone.now())
    ).total_seconds()
    rate = rows / elapsed if elapsed > 0 else 0
    byte_rate = done_bytes / elapsed if elapsed > 0 else 0
    left = (job.size - done_bytes) / byte_rate if byte_rate and not job.finished else None
    return {
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "finished": job.finished,
        "rows": rows,
        "bytes": done_bytes,
        "size": job.size,
        "percent": round(100 * done_bytes / job.size, 1) if job.size else 0,
        "rows_per_second": round(rate),
        "seconds_left": round(left) if left is not None else None,
        "error": error_for_web(job),
    }


def _publishing(request: HttpRequest, breach: Breach) -> dict:
    return {
        "readiness": breach_readiness(breach),
        "can_publish": request.user.has_perm("leaks.change_breach"),
    }


@staff_member_required
def breach_publishing(request: HttpRequest, breach_id: int) -> HttpResponse:
    """Publish or unpublish a breach: GET shows the checklist, POST acts (audited by
    the breach's save, audit/signals.py) and comes back here."""
    _require(request, "leaks.change_breach")
    breach = get_object_or_404(Breach, pk=breach_id)
    if request.method == "POST":
        if request.POST.get("action") == "unpublish":
            breach_unpublish(breach=breach)
            messages.success(
                request, _("%(breach)s is hidden from the public.") % {"breach": breach}
            )
        else:
            try:
                breach_publish(breach=breach)
            except PublishRefused as refused:
                message = _("%(breach)s is not published: %(reason)s")
                messages.error(request, message % {"breach": breach, "reason": refused.args[0]})
            else:
                messages.success(request, _("%(breach)s is published.") % {"breach": breach})
        back = request.POST.get("next", "")
        if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            return redirect(back)
        return redirect("bc-breach-publishing", breach_id=breach.pk)
    context = {
        **admin.site.each_context(request),
        **_publishing(request, breach),
        "breach": breach,
        "title": _("Publish %(breach)s") % {"breach": breach},
    }
    return render(request, "leaks/breach_publishing.html", context)


@staff_member_required
def breach_preview(request: HttpRequest, breach_id: int) -> HttpResponse:
    """The breach's public page as citizens will see it, published or not."""
    _require(request, "leaks.view_breach")
    breach = get_object_or_404(Breach, pk=breach_id)
    form = CheckForm()
    form.fields["phone"].widget.attrs.pop("autofocus", None)
    context = {**breach_page(breach), "form": form, "preview": True}
    return render(request, "leaks/breach.html", context)
