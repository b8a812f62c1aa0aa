"""Direct identifiers are refused with an explicit message unless the caller pseudonymises."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from irdp.io import IdentifierError, read_extract
from irdp.privacy import Pseudonymiser

KEY = b"study-secret-key-0123456789abcdef"


def _nir(i: int) -> str:
    # sex, year, month, département, commune+order (6 digits), key: 15 characters
    return f"1{85 + i % 10:02d}{1 + i % 12:02d}75{100000 + i:06d}{10 + i % 80:02d}"


@pytest.mark.parametrize("column", ["nir", "NOM", "prénom", "date_naissance", "adresse",
                                    "email", "telephone", "ins_matricule"])
def test_identifier_columns_refused(tables, tmp_path, write_csv, digests, column):
    tables["worker"][column] = "x"
    folder = write_csv(tables, tmp_path / "x")
    before = digests(folder)
    with pytest.raises(IdentifierError, match="direct identifier") as info:
        read_extract(folder)
    assert digests(folder) == before
    p = info.value.of_kind(IdentifierError)[0]
    assert (p.file, p.column) == ("worker.csv", column)
    assert "pseudonymise" in p.message


def test_nir_values_refused_and_masked(tables, tmp_path, write_csv):
    nirs = {w: _nir(i) for i, w in enumerate(tables["worker"]["worker_id"])}
    for name in ("worker", "employment", "visit", "exposure", "exit"):
        tables[name]["worker_id"] = tables[name]["worker_id"].map(nirs)
    folder = write_csv(tables, tmp_path / "x")
    with pytest.raises(IdentifierError, match="NIR/INS") as info:
        read_extract(folder)
    text = str(info.value)
    assert not any(n in text for n in nirs.values())  # never echoed in the error
    p = next(p for p in info.value.problems if p.file == "worker.csv")
    assert (p.row, p.column) == (1, "worker_id")
    assert "masked" in p.value


def test_full_birth_date_refused(tables, tmp_path, write_csv):
    tables["worker"]["birth_year"] = tables["worker"]["birth_year"].astype(str) + "-03-12"
    with pytest.raises(IdentifierError, match="full birth date"):
        read_extract(write_csv(tables, tmp_path / "x"))


def test_pseudonymise_on_load(tables, tmp_path, write_csv, digests):
    nirs = {w: _nir(i) for i, w in enumerate(tables["worker"]["worker_id"])}
    for name in ("worker", "employment", "visit", "exposure", "exit"):
        tables[name]["worker_id"] = tables[name]["worker_id"].map(nirs)
    tables["worker"]["nom"] = "DUPONT"
    folder = write_csv(tables, tmp_path / "x")
    before = digests(folder)
    a = read_extract(folder, pseudonymise=KEY)
    b = read_extract(folder, pseudonymise=Pseudonymiser(KEY))
    c = read_extract(folder, pseudonymise=b"another-key-another-key-another!")
    assert digests(folder) == before
    ids_a = sorted(r[0] for r in a.fetch("SELECT worker_id FROM worker"))
    ids_b = sorted(r[0] for r in b.fetch("SELECT worker_id FROM worker"))
    ids_c = sorted(r[0] for r in c.fetch("SELECT worker_id FROM worker"))
    assert ids_a == ids_b                        # stable for a key
    assert not set(ids_a) & set(ids_c)           # differs across keys
    assert not set(ids_a) & set(nirs.values())   # no NIR left
    first = _nir(0)
    assert hmac.new(KEY, first.encode(), hashlib.sha256).hexdigest()[:32] in ids_a
    assert "nom" not in a["worker"].columns
    assert a.metadata["dropped_columns"] == {"worker": ["nom"]}
    assert a.metadata["pseudonymised"] is True
    # foreign keys still join after hashing
    n = a.fetch("SELECT count(*) FROM visit v JOIN worker w USING (worker_id)")[0][0]
    assert n == len(tables["visit"])
    # the key is stored nowhere in the extract
    assert KEY.decode() not in repr(a.metadata)
