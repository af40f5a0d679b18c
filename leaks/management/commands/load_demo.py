from django.core.management.base import BaseCommand

from leaks.demo import DEMO_NUMBER, load_demo


class Command(BaseCommand):
    help = "Load a small made-up breach and print a number that is in it."

    def handle(self, *args, **opts):
        breach = load_demo()
        self.stdout.write(
            f"Demo breach '{breach.slug}' holds {breach.pwn_count} numbers; "
            f"try {DEMO_NUMBER} at http://127.0.0.1:8000/"
        )
