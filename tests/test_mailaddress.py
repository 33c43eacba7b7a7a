"""One e-mail address check (reportpipe.mailaddress, email-validator without DNS) for the
links of the report and the recipients of a distribution: both accept and refuse alike."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from reportpipe.checkconfig import LinksConfig
from reportpipe.distribution import Email
from reportpipe.links import Link, check_links
from reportpipe.mailaddress import address_problem

ADDRESSES = [
    ("registrator@umea.example", True),
    ("first.last@mail.example.co.uk", True),
    ("räksmörgås@kommun.example", True),  # internationalised local part
    ("info@example", False),  # no dot in the domain
    ("@example.org", False),
    ("info@@example.org", False),
    ("in fo@example.org", False),
    ("info@example..org", False),
    (".info@example.org", False),
    ("../../tmp/x@example.org", False),
    ("info@-example.org", False),
    ("info@localhost", False),
    ("", False),
]


@pytest.mark.parametrize(("address", "ok"), ADDRESSES)
def test_links_and_recipients_agree(address: str, ok: bool) -> None:
    assert (address_problem(address) is None) is ok
    report = check_links(
        [Link(f"mailto:{address}", "Mejl", "source/intro.md", 3)],
        anchors=frozenset(),
        config=LinksConfig(),
        offline=True,
        cache_file=None,
    )
    expected = [] if ok else [f"link 'Mejl' has a malformed e-mail address: 'mailto:{address}'"]
    assert [f.message for f in report.findings] == expected
    recipient = TypeAdapter(Email)
    if ok:
        assert recipient.validate_python(address) == address
    else:
        with pytest.raises(ValidationError, match="not a valid e-mail address"):
            recipient.validate_python(address)


def test_the_reason_is_said() -> None:
    assert address_problem("nagon@") == "There must be something after the @-sign."
