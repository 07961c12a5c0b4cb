"""The API's routers are tried busiest first (credits_app/api/__init__.py). That is safe only
while no route can answer another route's path: then any order finds the same route."""

import importlib
import re
from pathlib import Path

from starlette.routing import compile_path

from credits_app.api import DOCS_TAG_ORDER, ROUTE_MODULES, create_api, routes
from credits_app.api.middleware import API_PREFIX
from credits_app.api.routes import internal, stripe_webhook

SAMPLE = "sample"  # what a path parameter stands for when one route's path meets another's


def _api_routes() -> list[tuple[str, frozenset[str], str]]:
    """(full path, methods, module) of every route the routers bring."""
    found = []
    for module in ROUTE_MODULES:
        for route in module.router.routes:
            methods = frozenset(getattr(route, "methods", None) or ())
            found.append((API_PREFIX + route.path, methods, module.__name__))
    return found


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", SAMPLE, path)


def test_no_api_route_answers_the_path_of_another_route_with_a_shared_method() -> None:
    routes = _api_routes()
    assert len(routes) > 50
    clashes = []
    for path, methods, module in routes:
        pattern, _, _ = compile_path(path)
        for other_path, other_methods, other_module in routes:
            if other_path == path and other_module == module:
                continue
            if methods & other_methods and pattern.match(_concrete(other_path)):
                clashes.append(f"{module} {path} answers {other_module} {other_path}")
    assert clashes == []


def test_the_disjointness_check_sees_a_parameter_route_that_would_shadow_a_static_one() -> None:
    pattern, _, _ = compile_path(API_PREFIX + "/credits/{anything}")
    assert pattern.match(_concrete(API_PREFIX + "/credits/history"))


def test_service_deductions_and_stripe_deliveries_are_matched_first() -> None:
    assert ROUTE_MODULES[:2] == (internal, stripe_webhook)
    assert len(set(ROUTE_MODULES)) == len(ROUTE_MODULES)


def test_every_route_module_is_served_under_the_api_prefix_but_metrics() -> None:
    """A new module under api/routes must be added to ROUTE_MODULES (or it serves nothing)."""
    package = Path(routes.__file__).parent
    names = {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
    with_router = {
        n for n in names if hasattr(importlib.import_module(f"{routes.__name__}.{n}"), "router")
    }
    listed = {module.__name__.rsplit(".", 1)[1] for module in ROUTE_MODULES}
    assert with_router - listed == {"metrics"}


def test_the_reference_lists_every_tag_in_the_documented_order() -> None:
    schema = create_api().openapi()
    used = {tag for ops in schema["paths"].values() for op in ops.values() for tag in op["tags"]}
    assert [tag["name"] for tag in schema["tags"]] == list(DOCS_TAG_ORDER)
    assert used == set(DOCS_TAG_ORDER)
