import pytest

from masip.core.text import csv_safe


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("http://evil.example","click")',
        "+44 7700 900123",
        "-1+1",
        "@SUM(A1:A2)",
        "  =1+1",
        "\t=1",
        "\n=1+1",
        "\u00a0=1",
        "\uff1dHYPERLINK(1)",
        "\uff0b1",
    ],
)
def test_formula_starts_are_neutralised(value: str) -> None:
    assert csv_safe(value) == "'" + value


@pytest.mark.parametrize("value", ["", "Jane Smith", "a = b", "07700 900123", "O'Neil"])
def test_ordinary_text_is_unchanged(value: str) -> None:
    assert csv_safe(value) == value
