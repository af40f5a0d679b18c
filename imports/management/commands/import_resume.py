import json

from django.core.management.base import BaseCommand

from imports.importer import import_resume


class Command(BaseCommand):
    help = (
        "Queue again the import chunks whose worker stopped reporting progress "
        "(IMPORT_STALL_SECONDS), for workers that died and will not come back."
    )

    def add_arguments(self, parser):
        parser.add_argument("--worker", help="only the chunks of this worker (name@host)")

    def handle(self, *args, **opts):
        chunks = import_resume(worker=opts["worker"])
        self.stdout.write(json.dumps({"requeued_chunks": chunks}))
