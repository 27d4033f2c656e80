"""Values as text: what each datatype accepts from a CSV cell, and a whole column at once."""

from __future__ import annotations

import pytest

from meterhub.core.datatypes import (
    BadValue,
    Datatype,
    column_values,
    fixed_text,
    from_json,
    from_text,
    to_text,
)

DBL, INT, STR, FIX = Datatype.DOUBLE, Datatype.INTEGER, Datatype.STRING, Datatype.FIXED


@pytest.mark.parametrize(
    ("text", "datatype", "value"),
    [
        ("", STR, ""),
        ("", DBL, None),
        ("", INT, None),
        ("a;b", STR, "a;b"),
        ("-1.33e-16", DBL, -1.33e-16),
        ("999888777.121", DBL, 999888777.121),
        (".5", DBL, 0.5),
        ("-10", INT, -10),
        ("+7", INT, 7),
        ("9223372036854775807", INT, 2**63 - 1),
        ("1073.079", FIX, 1073079),
        ("0.0005", FIX, 1),  # half up to the stream's 3 decimals
    ],
)
def test_cells_that_are_read(text: str, datatype: Datatype, value: object) -> None:
    assert from_text(text, datatype, 3 if datatype is FIX else 0) == value


@pytest.mark.parametrize(
    ("text", "datatype"),
    [
        ("2.5", INT),
        ("1e3", INT),
        ("9223372036854775808", INT),
        ("one", DBL),
        ("nan", DBL),
        ("inf", DBL),
        ("1e999", DBL),
        ("1_000", DBL),
        (" 12", DBL),
        ("0x10", INT),
    ],
)
def test_cells_that_are_refused(text: str, datatype: Datatype) -> None:
    with pytest.raises(BadValue):
        from_text(text, datatype)


@pytest.mark.parametrize(
    ("texts", "datatype"),
    [
        (["1", "", "-3", "+4"], INT),
        (["1.5", "", "-1.33e-16", ".25", "7"], DBL),
        (["a", "", "b,c"], STR),
    ],
)
def test_a_clean_column_reads_as_its_cells_do(texts: list[str], datatype: Datatype) -> None:
    cells = [from_text(t, datatype) for t in texts]
    assert column_values(texts, datatype) == [v for v in cells if v is not None]


@pytest.mark.parametrize(
    ("texts", "datatype"),
    [
        (["1", "2.5"], INT),
        (["1", "1234567890123456789"], INT),  # 19 digits: looked at cell by cell
        (["1.0", "1e999"], DBL),
        (["1.0", "nan"], DBL),
        (["1\x1f2"], DBL),  # a cell holding the separator is not two cells
        (["1.0"], FIX),  # fixed-point columns are always read cell by cell
    ],
)
def test_a_column_with_a_doubtful_cell_is_left_to_the_cells(texts: list[str], datatype: Datatype) -> None:
    assert column_values(texts, datatype) is None


def test_json_values_and_text_out() -> None:
    assert from_json(14.47, DBL) == 14.47 and from_json(34, DBL) == 34.0
    assert from_json(34, INT) == 34 and from_json(3.0, INT) == 3
    with pytest.raises(BadValue):
        from_json(True, INT)
    assert from_json("0.16300000250339508", DBL) == 0.16300000250339508  # the document's mosquitto_pub
    for bad in ("", "zero", None, [1], {"v": 1}):
        with pytest.raises(BadValue):
            from_json(bad, DBL)
    assert from_json(1073.079, FIX, 3) == 1073079
    assert to_text(-1.33e-16, DBL) == "-1.33e-16"
    assert fixed_text(-5, 3) == "-0.005" and fixed_text(1073079, 3) == "1073.079" and fixed_text(7, 0) == "7"
