"""The form of the referral import page. It parses input; the rules live in import_services."""

from __future__ import annotations

from django import forms


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="Upload a file",
        help_text="A CSV file exported from your records system, with the header row first (see the guide).",
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={
            "required": "Choose the CSV file to import.",
            "empty": "The file is empty. Choose the file exported from your records system, with its header row.",
            "invalid": "Choose a CSV file to import.",
        },
    )
    windows_1252 = forms.BooleanField(
        label="The file is saved as Windows-1252 (“ANSI”), not UTF-8",
        help_text="Only tick this if your records system cannot save CSV UTF-8.",
        required=False,
    )
