"""Certificate PDFs (tracker.certificates.render): pure unit tests on the bytes, no app needed."""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import string
import subprocess
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import segno
from pypdf import PdfReader

from tracker.certificates.render import CertificateData, qr_rectangles, render_certificate, unprintable_characters

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CODE = "7KQ2M-X9HDC-4RTVB-N8WFZ"
ORGANISATION = "Northwind Logistics Ltd"
FOOTER = (
    f"This certificate is an internal record of training completed with {ORGANISATION}. "
    "It is not a legal certification or accreditation."
)
ATTACHMENT = json.dumps(
    {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "credentialSubject": {"name": "Zoë Ñúñez-Łukasiewicz"},
        "padding": "x" * 1800,
    },
    ensure_ascii=False,
).encode()
NAMES = ["Zoë Ñúñez-Łukasiewicz", "Σωκράτης Παπαδόπουλος", "Фёдор Достоевский"]


def certificate(**changes) -> CertificateData:
    data = CertificateData(
        code=CODE,
        learner_name="Zoë Ñúñez-Łukasiewicz",
        course_title="Responsible use of generative AI at work",
        course_version=3,
        score=92,
        issued_at=datetime(2026, 11, 22, 14, 5, tzinfo=UTC),
        expires_at=datetime(2028, 11, 22, tzinfo=UTC),
        organisation_name=ORGANISATION,
        verify_url=f"https://training.northwind.example/verify/{CODE}",
        attachment=ATTACHMENT,
    )
    return replace(data, **changes)


def pdftotext(pdf: bytes) -> str:
    """Text of the PDF as poppler extracts it, whitespace collapsed to single spaces."""
    executable = shutil.which("pdftotext")
    if executable is None:
        if IN_CI:
            pytest.fail("pdftotext (poppler-utils) is required in CI")
        pytest.skip("pdftotext (poppler-utils) is not installed")
    result = subprocess.run([executable, "-", "-"], input=pdf, capture_output=True, check=True, timeout=30)
    return " ".join(result.stdout.decode("utf-8").split())


def reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


@pytest.fixture(scope="module")
def sample_pdf() -> bytes:
    return render_certificate(certificate())


@pytest.mark.parametrize("name", NAMES)
def test_names_in_latin_greek_and_cyrillic_are_printed_as_text(name):
    assert unprintable_characters(name) == []
    assert name in pdftotext(render_certificate(certificate(learner_name=name)))


def test_certificate_text_is_extractable(sample_pdf):
    text = pdftotext(sample_pdf)
    for expected in (
        ORGANISATION.upper(),
        "Certificate of completion",
        "Zoë Ñúñez-Łukasiewicz",
        "has completed the course",
        "Responsible use of generative AI at work",
        CODE,
        "22 November 2026",
        "92%",
        "22 November 2028",
        f"https://training.northwind.example/verify/{CODE}",
        FOOTER,
    ):
        assert expected in text
    assert "Reissued" not in text


def test_no_quiz_no_expiry_and_reissue_are_shown():
    text = pdftotext(render_certificate(certificate(score=None, expires_at=None, revision=2)))
    assert "Does not expire" in text
    assert "SCORE" not in text
    assert "Reissued (revision 2)" in text


def test_metadata(sample_pdf):
    metadata = reader(sample_pdf).metadata
    assert metadata.title == f"Certificate {CODE}: Responsible use of generative AI at work"
    assert metadata.author == ORGANISATION
    assert CODE in metadata.subject
    assert metadata.creator == "tracker"
    assert metadata.creation_date == datetime(2026, 11, 22, 14, 5, tzinfo=UTC)


def test_single_a4_landscape_page_with_embedded_fonts(sample_pdf):
    pdf = reader(sample_pdf)
    assert len(pdf.pages) == 1
    box = pdf.pages[0].mediabox
    assert float(box.width) == pytest.approx(841.89, abs=0.5)
    assert float(box.height) == pytest.approx(595.28, abs=0.5)
    fonts = pdf.pages[0]["/Resources"]["/Font"]
    for font in fonts.values():
        font = font.get_object()
        assert "DejaVuSans" in font["/BaseFont"]
        assert "/FontFile2" in font["/FontDescriptor"]  # embedded TrueType, not a viewer substitute


def test_attachment_is_embedded_byte_for_byte(sample_pdf):
    pdf = reader(sample_pdf)
    assert pdf.attachments == {"open-badge-credential.json": [ATTACHMENT]}
    names = pdf.trailer["/Root"]["/Names"]["/EmbeddedFiles"]["/Names"]
    filespec = names[1].get_object()
    assert filespec["/UF"] == "open-badge-credential.json"
    assert filespec["/EF"]["/F"].get_object()["/Subtype"] == "/application/json"


def test_attachment_name_and_no_attachment():
    renamed = reader(render_certificate(certificate(attachment=b"{}", attachment_name="credential.json")))
    assert renamed.attachments == {"credential.json": [b"{}"]}
    plain = reader(render_certificate(certificate(attachment=None)))
    assert plain.attachments == {}
    assert "/Names" not in plain.trailer["/Root"]


def test_rendering_is_deterministic():
    # a name with letters not used elsewhere in this module: the first render fills the font caches
    data = certificate(learner_name="Ǆemal Ŵyŝŕ", verify_url="https://training.northwind.example/verify/ONLY-HERE")
    first = render_certificate(data)
    assert render_certificate(data) == first
    assert render_certificate(certificate()) == render_certificate(certificate())
    assert render_certificate(replace(data, revision=2)) != first


def test_long_course_title_and_long_name_still_render():
    title = " ".join(["Advanced governance of artificial intelligence systems in regulated workplaces"] * 4)
    name = "Maximiliana Alexandrina Wilhelmina von Hohenzollern-Sigmaringen-Bergstrasse de la Cruz y Olivares"
    pdf = render_certificate(certificate(course_title=title, learner_name=name + " " + "Z" * 200))
    assert len(reader(pdf).pages) == 1
    text = pdftotext(pdf)
    assert "Advanced governance of artificial intelligence" in text
    assert "Maximiliana Alexandrina" in text
    assert FOOTER in text


def test_unprintable_characters():
    assert unprintable_characters("山田 太郎") == ["山", "田", "太", "郎"]
    assert unprintable_characters("Zoë") == []
    assert unprintable_characters("Zoe\u0308") == []  # decomposed ë is normalised first
    assert unprintable_characters("山山") == ["山"]


@pytest.mark.parametrize("field", ["learner_name", "course_title"])
def test_unprintable_name_or_title_is_refused(field):
    with pytest.raises(ValueError) as raised:
        render_certificate(certificate(**{field: "山田 太郎"}))
    assert all(char in str(raised.value) for char in "山田太郎")


def expand(runs: list[tuple[int, int, int]], size: int) -> tuple[bytes, ...]:
    """The module matrix drawn by `runs`; also checks that runs are maximal and do not overlap."""
    matrix = [bytearray(size) for _ in range(size)]
    for row, start, length in runs:
        assert length > 0
        assert not any(matrix[row][max(start - 1, 0) : start + length + 1])  # not touching another run
        matrix[row][start : start + length] = b"\x01" * length
    return tuple(bytes(row) for row in matrix)


def test_qr_runs_reproduce_segnos_matrix_and_decode(tmp_path):
    url = f"https://training.northwind.example/verify/{CODE}"
    reference = segno.make(url, error="m", micro=False)
    runs = qr_rectangles(url)
    assert len(runs) < sum(map(sum, reference.matrix))  # runs are merged, not one rectangle per module
    assert expand(runs, len(reference.matrix)) == tuple(bytes(row) for row in reference.matrix)

    zbarimg, pdftoppm = shutil.which("zbarimg"), shutil.which("pdftoppm")
    if zbarimg and pdftoppm:  # optional: decode the QR code from the rendered page
        (tmp_path / "c.pdf").write_bytes(render_certificate(certificate(verify_url=url)))
        subprocess.run([pdftoppm, "-png", "-r", "150", "-singlefile", tmp_path / "c.pdf", tmp_path / "c"], check=True)
        decoded = subprocess.run([zbarimg, "--raw", "-q", tmp_path / "c.png"], capture_output=True, check=True)
        assert decoded.stdout.decode().strip() == url


@pytest.mark.slow
def test_qr_mask_choice_matches_segno_for_many_inputs():
    """The renderer's fast mask selection must pick segno's mask (and matrix) for every version and mask."""
    rng = random.Random(20261122)
    alphabet = string.ascii_letters + string.digits + "-_/?=&%."
    urls = [f"https://t.example/v/{''.join(rng.choice(alphabet) for _ in range(n))}" for n in range(0, 420, 6)]
    urls += [f"https://training.northwind.example/verify/7KQ2M-X9HDC-4RTVB-{i:05d}" for i in range(30)]
    urls += ["A", "12345", "HELLO WORLD", "https://x.example/Zoë"]
    masks, versions = set(), set()
    for url in urls:
        reference = segno.make(url, error="m", micro=False)
        masks.add(reference.mask)
        versions.add(reference.version)
        assert expand(qr_rectangles(url), len(reference.matrix)) == tuple(bytes(row) for row in reference.matrix), url
    assert masks == set(range(8))
    assert max(versions) >= 10
