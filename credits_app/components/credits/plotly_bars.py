"""`rx.plotly` drawing with our own partial plotly.js bundle, fetched only once the page is usable.

`rx.plotly.basic` loads `plotly.js-basic-dist-min` (scatter, bar, pie, world calendars and
every core component: annotations, shapes, sliders, the mode bar...), 346.7 KiB gzip.
`assets/plotly-bar.min.js` is plotly.js 3.7.0 built with only what the usage chart uses
(deploy/plotly_bundle/entry.js says what and why; build.sh rebuilds it), 313.9 KiB gzip, so no
plotly.js npm package is installed at all. Even so, Plotly is half of the credits page's
JavaScript, and the usage tab (with the chart) is the default tab: fetched as soon as the chart
mounted, it was requested while the page was still hydrating, before the balance showed.

So the bundle is fetched late, on purpose (issue 16 item 6): only after the window's `load`
event, once the chart's box is on (or within `ROOT_MARGIN` of) the screen, and when the
browser is idle (`requestIdleCallback`, at most `IDLE_TIMEOUT_MS` later). Until then a
skeleton of the chart's own size stands in, labelled for screen readers. Once fetched, the
component is kept for the page's life, so a chart that remounts (a period switch, a tab
change) draws at once. The moment the fetch starts is marked in the page's performance
timeline (`LOAD_MARK`), so bench/page_weight.py can split what the page needed to be usable
from what the chart added.
"""

from reflex.components.plotly import PlotlyBasic
from reflex.utils.imports import ImportDict, ImportVar, merge_imports

BUNDLE = "$/public/plotly-bar.min.js"
LOAD_MARK = "uc-chart-bundle-requested"
ROOT_MARGIN = "200px"
IDLE_TIMEOUT_MS = 2000
LOADING_SUFFIX = "(loading)"
PLACEHOLDER_CLASS = "uc-chart-placeholder"

# `ucDeferredPlot(load, name)` returns a component that renders a skeleton until the page is
# loaded, the skeleton is near the viewport and the browser is idle, then calls `load()` (once
# per page: the promise is shared by every instance) and renders what it resolves to.
DEFERRED_PLOT_JS = """
function ucWhenVisibleAndIdle(element, start) {
  let done = false;
  let observer = null;
  let idleHandle = null;
  const cancelIdle = window.cancelIdleCallback ?? window.clearTimeout;
  const startWhenIdle = () => {
    const run = () => { if (!done) { done = true; start(); } };
    idleHandle = window.requestIdleCallback
      ? window.requestIdleCallback(run, {timeout: __IDLE_TIMEOUT_MS__})
      : window.setTimeout(run, 200);
  };
  const watch = () => {
    if (done) return;
    if (!element || !("IntersectionObserver" in window)) { startWhenIdle(); return; }
    observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) {
        observer.disconnect();
        startWhenIdle();
      }
    }, {rootMargin: __ROOT_MARGIN__});
    observer.observe(element);
  };
  if (document.readyState === "complete") watch();
  else window.addEventListener("load", watch, {once: true});
  return () => {
    done = true;
    window.removeEventListener("load", watch);
    observer?.disconnect();
    if (idleHandle !== null) cancelIdle(idleHandle);
  };
}

function ucDeferredPlot(load, name) {
  let loaded = null;
  let loading = null;
  const fetchOnce = () => {
    if (!loading) {
      performance.mark(__LOAD_MARK__);
      loading = load().then((component) => (loaded = component));
    }
    return loading;
  };
  function UcDeferredPlot({children, "aria-label": label, ...props}) {
    const [Component, setComponent] = useState(() => loaded);
    const box = useRef(null);
    useEffect(() => {
      if (Component) return undefined;
      let mounted = true;
      const stop = ucWhenVisibleAndIdle(box.current, () =>
        fetchOnce().then((component) => { if (mounted) setComponent(() => component); })
      );
      return () => { mounted = false; stop(); };
    }, []);
    if (Component) {
      return jsx("div", {role: "img", "aria-label": label}, jsx(Component, props, children));
    }
    return jsx("div", {
      ref: box,
      id: props.divId ? `${props.divId}-placeholder` : undefined,
      // The chart's own size: emotion has already turned its `css` prop into this className.
      className: ["rt-Skeleton", "__PLACEHOLDER_CLASS__", props.className].filter(Boolean)
        .join(" "),
      style: props.style,
      role: "img",
      "aria-label": `${label} __LOADING_SUFFIX__`,
      "aria-busy": "true",
    });
  }
  UcDeferredPlot.displayName = `UcDeferredPlot(${name})`;
  return UcDeferredPlot;
}
"""
for _name, _value in {
    "__IDLE_TIMEOUT_MS__": str(IDLE_TIMEOUT_MS),
    "__ROOT_MARGIN__": f'"{ROOT_MARGIN}"',  # plain ASCII, so a JS string as is
    "__LOAD_MARK__": f'"{LOAD_MARK}"',
    "__PLACEHOLDER_CLASS__": PLACEHOLDER_CLASS,
    "__LOADING_SUFFIX__": LOADING_SUFFIX,
}.items():
    DEFERRED_PLOT_JS = DEFERRED_PLOT_JS.replace(_name, _value)


class PlotlyBars(PlotlyBasic):
    """A Plotly graph rendered by the partial bundle (the same props as `rx.plotly`), whose
    code is fetched after the page is usable; a skeleton of its size stands in until then."""

    tag: str = "BarsPlotlyPlot"

    lib_dependencies: list[str] = []

    def add_imports(self) -> ImportDict:
        # react-plotly.js's createPlotlyComponent factory, and what ucDeferredPlot uses.
        return merge_imports(
            super().add_imports(),
            {
                "react": [ImportVar(tag=hook) for hook in ("useEffect", "useRef", "useState")],
                "@emotion/react": [ImportVar(tag="jsx")],
            },
        )

    def _get_dynamic_imports(self) -> str:
        # The bundle is an ES module whose default export is the Plotly object.
        return f"""{DEFERRED_PLOT_JS}
const {self.tag} = ucDeferredPlot(() =>
    import('{BUNDLE}').then((mod) => createPlotlyComponent(mod.default))
, "{self.tag}")
"""


plotly_bars = PlotlyBars.create
