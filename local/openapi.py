"""Generate the API's OpenAPI document from every function's resolver (`make openapi`).

Each function has its own Powertools resolver; their documents are merged into one, written to
`layers/common/python/dagy_ops/openapi.json` (served by the docs function; `docs/openapi.json`
links to it). `--check` exits 1 when the committed document is stale.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

import dagy_ops
from dagy_ops.routes import functions

DOCUMENT = Path(dagy_ops.__file__).parent / "openapi.json"
TITLE = "Dagy Ops API"
DESCRIPTION = (
    "Health, notification channels, alert rules, tokens and audit for the Dagy pipeline orchestrator. "
    "Every route but /health, /openapi.json and /docs needs `Authorization: Bearer <token>`; errors are "
    '`{"code", "message", "details"}`.'
)


def build_document() -> dict[str, Any]:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    from local.functions import FunctionRegistry

    registry = FunctionRegistry()
    merge = OpenAPIMerge(
        title=TITLE,
        version=dagy_ops.__version__,
        description=DESCRIPTION,
        security_schemes={"bearerAuth": HTTPBearer(bearerFormat="dgy_...")},
        security=[{"bearerAuth": []}],
    )
    for name in functions():
        app = registry.module(name).app
        merge.add_schema(app.get_openapi_schema(title=TITLE, version=dagy_ops.__version__))
    return json.loads(merge.get_openapi_json_schema())


def render() -> str:
    return json.dumps(build_document(), indent=2, sort_keys=True) + "\n"


def main() -> int:
    text = render()
    if "--check" in sys.argv:
        if not DOCUMENT.exists() or DOCUMENT.read_text() != text:
            print(f"{DOCUMENT} is stale: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    DOCUMENT.write_text(text)
    print(f"wrote {DOCUMENT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
