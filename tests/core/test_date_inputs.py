"""The browser's date picker keeps the date a person entered when a form comes back with an error."""

from datetime import date
from pathlib import Path

from django import forms

from masip.core.forms import NativeDateInput

SRC = Path(__file__).resolve().parents[2] / "src" / "masip"


class _Form(forms.Form):
    due = forms.DateField(widget=NativeDateInput(), input_formats=["%Y-%m-%d"])
    title = forms.CharField()


def test_a_date_comes_back_in_the_form_the_date_picker_reads():
    form = _Form(data={"due": "2026-12-01", "title": ""})
    assert not form.is_valid()  # the title is missing
    html = str(form["due"])
    assert 'type="date"' in html
    assert 'value="2026-12-01"' in html
    assert 'value="2026-12-01"' in str(_Form(initial={"due": date(2026, 12, 1)})["due"])


def test_no_form_builds_a_date_picker_that_would_lose_its_value():
    # A plain DateInput with type=date renders 01/12/2026 in en-GB, which the browser discards.
    offenders = [
        f"{path.relative_to(SRC)}:{number}"
        for path in SRC.rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if '"type": "date"' in line
    ]
    assert not offenders, "Use masip.core.forms.NativeDateInput: " + ", ".join(offenders)
