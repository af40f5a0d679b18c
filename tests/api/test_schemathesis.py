"""schemathesis against the live server: every operation, with a test key.

It reads /api/v1/openapi.json, generates valid and invalid requests for every
operation, and fails on any server error or any answer the document does not
describe (status, content type, headers, body schema).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from api.keys import apikey_create
from tests.factories import breach_with_numbers

pytestmark = pytest.mark.slow

ST = Path(sys.executable).with_name("st")


@pytest.fixture
def catalogue(transactional_db):
    breach_with_numbers(
        "card-shop", ["13800138000", "17012345678"], domain="cards.example", is_verified=True
    )
    breach_with_numbers("clinic", ["13800138000"], is_sensitive=True)


def test_the_api_conforms_to_its_openapi_document(live_server, catalogue, tmp_path, settings):
    settings.API_KEY_MAX_RATE = "100000/m"
    _api_key, token = apikey_create(name="schemathesis", rate="100000/m")
    result = subprocess.run(
        [
            str(ST),
            "run",
            f"{live_server.url}/api/v1/openapi.json",
            "--header",
            f"X-Api-Key: {token}",
            "--checks",
            "all",
            # A schema-valid string is rarely a valid phone number, so the lookup
            # rightly answers 400 to most "positive" cases.
            "--exclude-checks",
            "positive_data_acceptance",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            os.getenv("SCHEMATHESIS_MAX_EXAMPLES", "40"),
            "--workers",
            "1",
            "--seed",
            "1",
            "--generation-database",
            "none",
            "--no-color",
            "--report-dir",
            str(tmp_path),
        ],
        # Its cache folder lands in the working directory: keep it out of the tree.
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Selected: 5/5" in output
    assert "Tested: 5" in output
