"""The SES sender address alerts are emailed from: a deploy-time parameter, and the one grant
that may send from it.

SES authorizes `SendEmail` against the verified identity that covers the From address: the
address itself or its domain. The grant names both identities (nothing else of SES) and, since a
domain identity would cover every address of the domain, lets the From address be this one only.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Fn, Stack
from aws_cdk import aws_iam as iam
from constructs import IConstruct

EMAIL_SENDER_ENV = "DAGY_EMAIL_SENDER"
"""The variable through which the dispatcher and the channel test endpoint learn the address."""
DEFAULT_EMAIL_SENDER = "alerts@example.com"
# One "@" exactly, so the domain is the second part of a split on it.
EMAIL_SENDER_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
EMAIL_SENDER_DESCRIPTION = (
    "The From address of email alerts. It, or its domain, must be a verified SES identity in this "
    "account and region (and, while the account is in the SES sandbox, so must every recipient)."
)


def sender_identity_arns(scope: IConstruct, address: str) -> list[str]:
    """The SES identity ARNs of `address` (a deploy-time value) and of its domain, in `scope`'s stack."""
    domain = Fn.select(1, Fn.split("@", address))
    stack = Stack.of(scope)
    return [
        stack.format_arn(
            service="ses", resource="identity", resource_name=name, arn_format=ArnFormat.SLASH_RESOURCE_NAME
        )
        for name in (address, domain)
    ]


def send_email_statement(scope: IConstruct, address: str) -> iam.PolicyStatement:
    """`ses:SendEmail` (SESv2's action too) from `address` only, through its identity or its domain's."""
    return iam.PolicyStatement(
        actions=["ses:SendEmail"],
        resources=sender_identity_arns(scope, address),
        conditions={"StringEquals": {"ses:FromAddress": address}},
    )
