"""The layer rules of DESIGN §2, checked on the source: imports point one way."""

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "credits_app"
DOMAIN_PACKAGES = ["credits", "auth", "ai", "billing", "jobs", "notifications"]
WEB_FRAMEWORKS = {"reflex", "starlette", "fastapi"}


def imported_modules(path: Path) -> set[str]:
    """Every name a file imports, as dotted paths (`from a import b` gives `a.b`)."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module if node.level == 0 else f"credits_app.{node.module}"
            modules.update(f"{base}.{alias.name}" for alias in node.names)
    return modules


def python_files(package: str) -> list[Path]:
    return sorted((APP / package).rglob("*.py")) if (APP / package).exists() else []


def top_level(module: str) -> str:
    return module.split(".")[0]


@pytest.mark.parametrize("package", DOMAIN_PACKAGES)
def test_domain_core_imports_no_web_framework(package: str) -> None:
    for path in python_files(package):
        forbidden = {m for m in imported_modules(path) if top_level(m) in WEB_FRAMEWORKS}
        assert not forbidden, f"{path.relative_to(APP)} imports {forbidden}"


@pytest.mark.parametrize("package", ["credits", "auth", "ai", "jobs", "notifications"])
def test_only_billing_talks_to_stripe(package: str) -> None:
    for path in python_files(package):
        assert "stripe" not in {top_level(m) for m in imported_modules(path)}, path


def test_components_import_only_reflex_and_styles() -> None:
    for path in python_files("components"):
        for module in imported_modules(path):
            allowed = top_level(module) in {
                "reflex",
                "typing",
                "collections",
                "dataclasses",  # the one view object a widget takes (components/ai)
                "__future__",
            }
            ours = module.startswith(("credits_app.styles", "credits_app.components"))
            assert allowed or ours, f"{path.relative_to(APP)} imports {module}"


@pytest.mark.parametrize("package", ["state", "api", "views", "pages"])
def test_doors_call_services_never_tables(package: str) -> None:
    for path in python_files(package):
        for module in imported_modules(path):
            assert not module.startswith("credits_app.models"), f"{path} imports the tables"
            assert "wallet_service" not in module, f"{path} bypasses credit_service"


def test_the_rules_see_the_domain_core() -> None:
    """Guards the guard: an empty scan would pass every rule above."""
    assert len(python_files("credits")) >= 5
    assert "sqlalchemy" in {
        top_level(m) for m in imported_modules(APP / "credits/wallet_service.py")
    }


def test_only_settings_reads_the_environment() -> None:
    for path in APP.rglob("*.py"):
        if path.name == "settings.py":
            continue
        source = path.read_text()
        assert "os.environ" not in source and "getenv(" not in source, path
