"""The one check of an e-mail address's syntax, for links (`mailto:`) and recipients.

It is `email-validator`'s syntax check (RFC 5321/5322 with internationalised addresses),
without deliverability: no DNS query, so a build and a check stay offline. Addresses
under special-use domains (`.test`, `.localhost`, …) are refused as the library does;
`.example`, used by the shipped sample list, is accepted.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


def address_problem(address: str) -> str | None:
    """Why `address` is not a well-formed e-mail address, or None when it is."""
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)
    return None


def checked_address(address: str) -> str:
    """`address` itself when well formed (a pydantic validator: raises ValueError)."""
    problem = address_problem(address)
    if problem is not None:
        raise ValueError(f"not a valid e-mail address: {problem}")
    return address
