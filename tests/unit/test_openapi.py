"""The committed OpenAPI document is what the resolvers generate today."""

from pathlib import Path

from dagy_ops.routes import ROUTES
from local.openapi import DOCUMENT, build_document, render

ROOT = Path(__file__).resolve().parents[2]


def test_committed_document_is_current():
    assert DOCUMENT.read_text() == render(), "docs/openapi.json is stale: run `make openapi`"


def test_docs_folder_shows_the_same_document():
    assert (ROOT / "docs" / "openapi.json").read_text() == DOCUMENT.read_text()


def test_every_documented_route_is_in_the_route_table_and_vice_versa():
    documented = {
        (method.upper(), path) for path, item in build_document()["paths"].items() for method in item
    }
    undocumented = {("GET", "/openapi.json"), ("GET", "/docs")}
    assert documented == {(route.method, route.path) for route in ROUTES} - undocumented
