"""An invisible listener for the browser's Back and Forward buttons within one page.

The credits page records its tab with `history.pushState` (no reload, no router navigation).
Going Back between two such entries changes only the query, which the router does not see
(it never learned of the pushed entry), so this calls `on_pop` with the `tab` of the URL the
browser went to ("" when there is none).
"""

import reflex as rx
from reflex.event import EventHandler, passthrough_event_spec
from reflex.utils.imports import ImportDict, ImportVar

POPSTATE_JS = """
const UcPopStateListener = ({param, onPop}) => {
  const latest = useRef(onPop);
  latest.current = onPop;
  useEffect(() => {
    const handler = () =>
      latest.current?.(new URLSearchParams(window.location.search).get(param) || "");
    window.addEventListener("popstate", handler);
    return () => window.removeEventListener("popstate", handler);
  }, [param]);
  return null;
};
"""


class PopStateListener(rx.Component):
    """Renders nothing; calls `on_pop(value of the query parameter param)` on Back/Forward."""

    tag = "UcPopStateListener"

    param: rx.Var[str]

    on_pop: EventHandler[passthrough_event_spec(str)]

    def add_imports(self) -> ImportDict:
        return {"react": [ImportVar(tag="useEffect"), ImportVar(tag="useRef")]}

    def add_custom_code(self) -> list[str]:
        return [POPSTATE_JS]


popstate_listener = PopStateListener.create
