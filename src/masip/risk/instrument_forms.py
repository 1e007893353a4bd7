"""Forms of the instrument pages. They parse input; the checks live in risk.schema and risk.loading."""

from __future__ import annotations

from django import forms


class InstrumentUploadForm(forms.Form):
    file = forms.FileField(
        label="Definition file",
        help_text="A YAML (.yaml or .yml) or JSON (.json) file in masip's instrument definition format.",
        error_messages={
            "required": "Choose the definition file to upload.",
            "empty": "The file is empty (0 bytes). Check you chose the definition file and upload it again.",
            "invalid": "Choose the definition file to upload.",
        },
    )
