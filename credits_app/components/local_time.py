"""A moment shown in the viewer's own time zone, with the exact UTC moment on hover.

The server only knows UTC; the browser knows where its person is. The element renders a
`<time datetime=…>` whose text the browser formats with `Intl.DateTimeFormat` (date, or date
and time), and whose `title` is the UTC text, so nobody has to guess which zone a time is in.
"""

import reflex as rx
from reflex.utils.imports import ImportDict, ImportVar

LOCAL_TIME_JS = """
const UcLocalTime = ({value, utc, part, id, className}) => {
  const [text, setText] = useState(utc);
  useEffect(() => {
    const moment = new Date(value);
    if (Number.isNaN(moment.getTime())) { setText(utc); return; }
    const options = part === "date"
      ? {dateStyle: "medium"}
      : part === "time" ? {timeStyle: "short"} : {dateStyle: "medium", timeStyle: "short"};
    setText(new Intl.DateTimeFormat(undefined, options).format(moment));
  }, [value, utc, part]);
  return <time dateTime={value} title={utc} id={id} className={className}>{text}</time>;
};
"""


class LocalTime(rx.Component):
    """`value` is ISO 8601 UTC, `utc` its text for the tooltip; `part`: datetime|date|time."""

    tag = "UcLocalTime"

    value: rx.Var[str]
    utc: rx.Var[str]
    part: rx.Var[str]

    def add_imports(self) -> ImportDict:
        return {"react": [ImportVar(tag="useEffect"), ImportVar(tag="useState")]}

    def add_custom_code(self) -> list[str]:
        return [LOCAL_TIME_JS]


def local_time(
    value: rx.Var[str] | str, utc: rx.Var[str] | str, part: str = "datetime", **props: object
) -> rx.Component:
    """The moment in local time inside a text of the app's size and colour."""
    return LocalTime.create(value=value, utc=utc, part=part, **props)
