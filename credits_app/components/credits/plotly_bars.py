"""`rx.plotly` drawing with our own partial plotly.js bundle: bars, legend and hover only.

`rx.plotly.basic` loads `plotly.js-basic-dist-min` (scatter, bar, pie, world calendars and
every core component: annotations, shapes, sliders, the mode bar...), 346.7 KiB gzip of the
credits page's 616 KiB. `assets/plotly-bar.min.js` is plotly.js 3.7.0 built with only what the
usage chart uses (deploy/plotly_bundle/entry.js says what and why; build.sh rebuilds it), so
no plotly.js npm package is installed at all. It is imported dynamically, as Reflex imports its
own bundles: the page paints, then the chart's code downloads.
"""

from reflex.components.plotly import PlotlyBasic
from reflex.utils.imports import ImportDict

BUNDLE = "$/public/plotly-bar.min.js"


class PlotlyBars(PlotlyBasic):
    """A Plotly graph rendered by the partial bundle (the same props as `rx.plotly`)."""

    tag: str = "BarsPlotlyPlot"

    lib_dependencies: list[str] = []

    def add_imports(self) -> ImportDict:
        return super().add_imports()  # react-plotly.js's createPlotlyComponent factory

    def _get_dynamic_imports(self) -> str:
        # The bundle is an ES module whose default export is the Plotly object.
        return f"""
const {self.tag} = ClientSide(() =>
    import('{BUNDLE}').then((mod) => createPlotlyComponent(mod.default))
, "{self.tag}")
"""


plotly_bars = PlotlyBars.create
