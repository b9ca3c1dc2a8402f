"""Files people hand to labtune: UTF-8, or UTF-16/UTF-32 with their byte order mark; anything else is one
clear error naming the file and the byte."""

from __future__ import annotations

import pytest

from labtune.errors import LabtuneError
from labtune.textfile import decode, read_text
from labtune.yamlfile import read_mapping

TEXT = "Réunion du 4/14/2023, présentée par Zoé Kowalczyk\n"


@pytest.mark.parametrize("data", [
    TEXT.encode("utf-8"), TEXT.encode("utf-8-sig"),
    TEXT.encode("utf-16"), b"\xfe\xff" + TEXT.encode("utf-16-be"),
    TEXT.encode("utf-32"), b"\x00\x00\xfe\xff" + TEXT.encode("utf-32-be"),
])
def test_utf8_and_marked_utf16_and_utf32_read_as_the_same_text(data):
    assert decode(data) == TEXT


@pytest.mark.parametrize("data, message", [
    (TEXT.encode("latin-1"), "not UTF-8 text (byte 1); save it as UTF-8"),
    (TEXT.encode("utf-16") + b"\x00", "not UTF-16 text (byte 102); save it as UTF-8"),  # a byte short of a unit
])
def test_other_encodings_are_one_error_naming_the_file_and_byte(tmp_path, data, message):
    path = tmp_path / "notes.txt"
    path.write_bytes(data)
    with pytest.raises(LabtuneError) as error:
        read_text(path)
    assert str(error.value) == f"{path}: {message}"


def test_a_file_that_cannot_be_read_is_one_error(tmp_path):
    with pytest.raises(LabtuneError, match=r"cannot be read \("):
        read_text(tmp_path)  # a directory


def test_a_recipe_saved_as_utf16_reads_and_a_latin1_one_is_refused(tmp_path):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("description: Zoé's recipe\ntrain:\n  num_train_epochs: 3\n", encoding="utf-16")
    assert read_mapping(recipe, "recipe") == {"description": "Zoé's recipe", "train": {"num_train_epochs": 3}}
    recipe.write_bytes("description: Zoé\n".encode("latin-1"))
    with pytest.raises(LabtuneError, match="recipe.yaml: not UTF-8 text"):
        read_mapping(recipe, "recipe")
