"""`dagy-ops`: operator commands that work straight on the tables, e.g. minting the first admin token.

    dagy-ops token create --org org_123 --email ops@example.com --permissions all --stack DagyOps-Data

The tokens table comes from `--table`, else from the outputs of the CloudFormation stack named by
`--stack`, else from $TOKENS_TABLE. With the AWS_ENDPOINT_URL that `make dev` prints, it works
against the local stack.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime, timedelta

import boto3

from dagy_ops.auth import bearer_secret, parse_permissions
from dagy_ops.services.tokens import mint_token
from dagy_ops.store.tokens import TokenRepository

TOKENS_TABLE_OUTPUT = "TokensTableName"


def tokens_table(table: str | None, stack: str | None) -> str:
    if table:
        return table
    if stack:
        outputs = (
            boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
        )
        for output in outputs:
            if output["OutputKey"] == TOKENS_TABLE_OUTPUT:
                return str(output["OutputValue"])
        raise SystemExit(f"stack {stack} has no output {TOKENS_TABLE_OUTPUT}")
    if os.environ.get("TOKENS_TABLE"):
        return os.environ["TOKENS_TABLE"]
    raise SystemExit(
        "say which tokens table: --table NAME, --stack STACK, or TOKENS_TABLE in the environment"
    )


def create_token(args: argparse.Namespace) -> int:
    try:
        permissions = parse_permissions(args.permissions)
    except ValueError as error:
        raise SystemExit(f"--permissions: {error}") from None
    if args.secret and bearer_secret(f"Bearer {args.secret}") is None:
        raise SystemExit("--secret must look like dgy_ followed by 43 URL-safe characters")
    now = datetime.now(UTC)
    expires_at = now + timedelta(days=args.expires_in) if args.expires_in else None
    secret, record = mint_token(
        org_id=args.org,
        actor_email=args.email,
        permissions=sorted(permissions),
        expires_at=expires_at,
        created_by=args.email,
        source_ip="cli",
        now=now,
        name=args.name,
        secret=args.secret,
    )
    TokenRepository(boto3.client("dynamodb"), tokens_table(args.table, args.stack)).create(record)
    print(f"token_id={record.token_id}", file=sys.stderr)
    print(secret)
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="dagy-ops", description="Dagy Ops operator commands")
    commands = root.add_subparsers(dest="command", required=True)
    token = commands.add_parser("token", help="API tokens").add_subparsers(dest="action", required=True)
    create = token.add_parser("create", help="mint a token and print its secret (shown once)")
    create.add_argument("--org", required=True, help="organization id, e.g. org_123")
    create.add_argument("--email", required=True, help="the actor recorded on every change made with it")
    create.add_argument("--permissions", required=True, help="comma-separated permissions, or 'all'")
    create.add_argument(
        "--expires-in", type=int, metavar="DAYS", help="days until it expires (default: never)"
    )
    create.add_argument("--name", help="a label for the token")
    create.add_argument("--stack", help="CloudFormation stack whose outputs name the tokens table")
    create.add_argument("--table", help="the tokens table name")
    create.add_argument("--secret", help=argparse.SUPPRESS)  # the local stack's DAGY_ADMIN_TOKEN
    create.set_defaults(run=create_token)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
