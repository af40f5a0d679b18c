"""What the tests stand on that is not a test: local servers standing in for remote
ones, scans for plaintext numbers, worker processes, URL configurations of their own."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
