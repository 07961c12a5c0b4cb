"""An invisible timer that fires `on_tick` every `interval` milliseconds while it is mounted.

The header balance polls with it. `rx.moment` could do the same, but it ships moment.js and
react-moment (about 22 KiB gzip) to display a date nobody sees; this is a dozen lines of React.
The interval stops when the page unmounts, so closed tabs never keep polling.
"""

import reflex as rx
from reflex.event import EventHandler, no_args_event_spec
from reflex.utils.imports import ImportDict, ImportVar

TIMER_JS = """
const UcIntervalTimer = ({interval, onTick}) => {
  const latestTick = useRef(onTick);
  latestTick.current = onTick;
  useEffect(() => {
    if (!interval || interval <= 0) return undefined;
    const timer = setInterval(() => latestTick.current?.(), interval);
    return () => clearInterval(timer);
  }, [interval]);
  return null;
};
"""


class IntervalTimer(rx.Component):
    """Renders nothing; calls `on_tick` on a fixed interval (0 or less: never)."""

    tag = "UcIntervalTimer"

    interval: rx.Var[int]

    on_tick: EventHandler[no_args_event_spec]

    def add_imports(self) -> ImportDict:
        return {"react": [ImportVar(tag="useEffect"), ImportVar(tag="useRef")]}

    def add_custom_code(self) -> list[str]:
        return [TIMER_JS]


interval_timer = IntervalTimer.create
