"""The usage chart loads our partial plotly.js bundle, deferred until the page is usable, and no
plotly.js npm package."""

from pathlib import Path

import reflex as rx

from credits_app.components.credits.plotly_bars import BUNDLE, LOAD_MARK, plotly_bars
from credits_app.views.usage_view import usage_view

ASSETS = Path(__file__).resolve().parents[2] / "assets"


def test_the_chart_imports_the_partial_bundle_dynamically_and_installs_no_plotly_package() -> None:
    chart = plotly_bars(data=rx.Var("figure"), id="usage-chart")
    (dynamic,) = chart._get_all_dynamic_imports()
    assert f"import('{BUNDLE}')" in dynamic
    assert "import(" not in dynamic.split("ucDeferredPlot(() =>", 1)[0]  # no eager import
    libraries = set(chart._get_all_imports())
    assert not any(name.startswith("plotly.js") for name in libraries)
    assert chart.lib_dependencies == []


def test_the_bundle_is_the_pinned_partial_build_and_far_smaller_than_the_basic_one() -> None:
    bundle = ASSETS / BUNDLE.rsplit("/", 1)[-1]
    head = bundle.read_text()[:300]
    assert head.startswith("/*! plotly.js 3.7.0") and "bar, legend, hover" in head
    assert bundle.stat().st_size < 1_000_000  # plotly.js-basic-dist-min 3.7.0: 1,119,926 bytes


def test_the_usage_tab_draws_with_the_partial_bundle_and_not_rx_plotly_basic() -> None:
    codes = usage_view()._get_all_dynamic_imports()
    assert any("plotly-bar.min.js" in code for code in codes)
    assert not any("plotly.js-basic-dist-min" in code for code in codes)


def test_the_bundle_waits_for_load_visibility_and_idle_and_marks_when_it_is_requested() -> None:
    """What bench/page_weight.py's cut relies on: the fetch starts only from the deferral, and
    the mark is set exactly there."""
    (dynamic,) = plotly_bars(data=rx.Var("figure"), id="usage-chart")._get_all_dynamic_imports()
    for gate in ('addEventListener("load"', "IntersectionObserver", "requestIdleCallback"):
        assert gate in dynamic
    assert f'performance.mark("{LOAD_MARK}");\n      loading = load()' in dynamic
