"""The check form's phone input is written out in its template: it must stay what
CheckForm's widget would render, for every state the pages show it in."""

import re

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from leaks.forms import CheckAgainForm, CheckForm


def _input(html: str) -> str:
    return re.findall(r'<input type="tel"[^>]*>', html)[0]


@pytest.mark.parametrize(
    "form",
    [
        CheckForm(),
        CheckAgainForm(),
        CheckForm({"phone": '12<3"x'}),
        CheckForm({"phone": ""}),
        CheckForm({"phone": "13800138000"}),
    ],
    ids=["fresh", "again", "invalid-with-markup", "empty", "valid"],
)
def test_the_written_out_input_is_the_widget(form):
    form.is_valid()
    request = RequestFactory().get("/")
    html = render_to_string("leaks/check_form.html", {"form": form}, request=request)
    assert _input(html) == str(form["phone"])
    if form.is_bound and form.errors:
        # The input points at its error, and the error is there.
        assert f'id="{form["phone"].auto_id}_error"' in html
