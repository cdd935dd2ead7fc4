"""Every page of the dashboard, enumerated from the URL patterns, and the layout checks a browser runs on each.

`dashboard_pages()` walks the URL configuration, so a new page is visited by the page-size test
(tests/test_page_layout.py) without anyone listing it: a route that is no page (a POST-only action, a download,
the API) is named in NOT_PAGES with the reason, and a route with a parameter names the object it shows in
PARAMETERS (a new detail page without one fails the test until it gets one).
"""

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

# Routes under these prefixes are no dashboard pages: the REST API answers JSON, the Django admin has its own
# stylesheet (and a change list that scrolls its own wide table), and the relay is for workers.
NOT_PAGE_PREFIXES = ("api/v1/", "admin/", "internal/")

NOT_PAGES = {
    "healthz": "a JSON health check",
    "favicon": "the site's icon",
    "accounts:logout": "POST only",
    "analytics:export": "a download (CSV, XLSX, JSON, PDF)",
    "analytics:report-send": "POST only",
    "analytics:report-delete": "POST only",
    "analytics:report-download": "a download",
    "analytics:run-download": "a download",
    "charging:session-stop": "POST only",
    "charging:reservation-cancel": "POST only",
    "charging:smart-replan": "POST only",
    "dispatch:depot-start": "POST only",
    "dispatch:depot-stop": "POST only",
    "dispatch:depot-priority": "POST only",
    "dispatch:depot-reset": "POST only",
    "dispatch:depot-unlock": "POST only",
    "notifications:service-worker": "a script",
    "schema": "the OpenAPI document (YAML)",
    "dispatch:map-data": "the live map's data (JSON)",
    "routing:graph-delete": "POST only",
    "routing:graph-status": "the road graphs page's import progress (JSON)",
    "routing:roads": "the live map's road layer (GeoJSON)",
    "routing:plan-status": "a solving plan's status (JSON) the plan page asks for",
    "routing:plan-solve": "POST only",
    "routing:plan-commit": "POST only",
}

# A page's URL parameter -> the key of the object it shows in the `objects` a test hands to `page_urls`,
# by URL name; `pk` and the other parameters of the routes below.
PARAMETERS = {
    "accounts:password-reset-confirm": {"uidb64": "uidb64", "token": "token"},
    "fleet:vehicle-detail": {"pk": "vehicle"},
    "fleet:vehicle-edit": {"pk": "vehicle"},
    "fleet:vehicle-delete": {"pk": "vehicle"},
    "stations:site-edit": {"pk": "site"},
    "stations:site-delete": {"pk": "site"},
    "stations:charge-point-detail": {"pk": "charge_point"},
    "stations:charge-point-edit": {"pk": "charge_point"},
    "stations:charge-point-delete": {"pk": "charge_point"},
    "stations:connector-create": {"charge_point_pk": "charge_point"},
    "stations:connector-edit": {"pk": "connector"},
    "stations:connector-delete": {"pk": "connector"},
    "analytics:report-detail": {"pk": "report"},
    "analytics:report-edit": {"pk": "report"},
    "pricing:tariff-detail": {"pk": "tariff"},
    "pricing:tariff-edit": {"pk": "tariff"},
    "pricing:tariff-version-create": {"pk": "tariff"},
    "charging:session-detail": {"pk": "session"},
    "charging:roaming-edit": {"department_pk": "department"},
    "charging:smart-site": {"pk": "site"},
    "operations:trip-detail": {"pk": "trip"},
    "operations:trip-edit": {"pk": "trip"},
    "operations:trip-cancel": {"pk": "trip"},
    "operations:schedule-edit": {"pk": "schedule"},
    "operations:schedule-delete": {"pk": "schedule"},
    "operations:route-edit": {"pk": "route"},
    "operations:route-delete": {"pk": "route"},
    "operations:policy-edit": {"department_pk": "department"},
    "dispatch:depot-detail": {"pk": "site"},
    "routing:plan-detail": {"pk": "route_plan"},
}

# Pages a signed-in user is sent away from (to the fleet page): they are looked at signed out.
SIGNED_OUT_PAGES = {
    "accounts:login",
    "accounts:password-reset",
    "accounts:password-reset-sent",
    "accounts:password-reset-confirm",
    "accounts:password-reset-complete",
}


@dataclass(frozen=True)
class Route:
    name: str
    route: str  # as written in the URL configuration, e.g. "fleet/vehicles/<int:pk>/"
    parameters: tuple[str, ...]


def _walk(patterns, prefix: str = "", namespace: str | None = None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace
            yield from _walk(
                pattern.url_patterns,
                prefix + str(pattern.pattern),
                (f"{namespace}:{inner}" if namespace else inner) if inner else namespace,
            )
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield Route(
                name=name or "",
                route=prefix + str(pattern.pattern),
                parameters=tuple(pattern.pattern.converters),
            )


def dashboard_pages() -> list[Route]:
    """Every route that is a page (see NOT_PAGES), in the order of the URL configuration."""
    return [
        route
        for route in _walk(get_resolver().url_patterns)
        if not route.route.startswith(NOT_PAGE_PREFIXES) and route.name not in NOT_PAGES
    ]


def page_url(route: Route, objects: dict) -> str:
    """The address of `route` for the objects of `objects` (see PARAMETERS)."""
    from django.urls import reverse

    kwargs = {}
    if route.parameters:
        names = PARAMETERS.get(route.name)
        if names is None or set(names) != set(route.parameters):
            raise LookupError(
                f"{route.name} ({route.route}) is a page with parameters {route.parameters}: name the objects it "
                "shows in tests/pages.py PARAMETERS (or, if it is no page, in NOT_PAGES)"
            )
        for parameter, key in names.items():
            value = objects[key]
            kwargs[parameter] = getattr(value, "pk", value)
    return reverse(route.name, kwargs=kwargs)


# Run in the page: what spills. The page may not scroll sideways, and nothing inside a card (or a KPI tile) may
# reach past the card's right edge, except inside a horizontal scroll container that sits inside the card and
# keeps its table's first column in view (position: sticky). Inside an SVG only the SVG itself counts. Nor may
# a box's content run out of it (a figure wider than its KPI tile overlaps the next one).
LAYOUT_PROBLEMS_JS = """
() => {
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth) {
    problems.push(`the page scrolls sideways: ${root.scrollWidth} px wide in a ${window.innerWidth} px window`);
  }
  const describe = (el) => {
    const id = el.id ? `#${el.id}` : "";
    const classes = typeof el.className === "string" ? el.className.trim() : "";
    const cls = classes ? "." + classes.split(/\\s+/).join(".") : "";
    const text = (el.innerText || el.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 40);
    return `${el.tagName.toLowerCase()}${id}${cls}${text ? ` "${text}"` : ""}`;
  };
  const scrollsSideways = (el) => {
    const style = getComputedStyle(el);
    return style.overflowX === "auto" || style.overflowX === "scroll";
  };
  for (const card of document.querySelectorAll(".card, .kpi")) {
    const edge = card.getBoundingClientRect().right + 1;
    const walk = (el) => {
      for (const child of el.children) {
        const rect = child.getBoundingClientRect();
        if (rect.width === 0 && rect.height === 0) continue;  // not displayed
        if (rect.right > edge) {
          problems.push(`${describe(child)} ends ${Math.round(rect.right - edge)} px past its card ${describe(card)}`);
          continue;
        }
        if (child.tagName.toLowerCase() === "svg") continue;
        const style = getComputedStyle(child);
        // text that runs out of its box (a figure in a KPI tile that is too narrow) overlaps what is next to it:
        // boxes of text only (no element inside; form controls draw their own)
        const textBox = child.children.length === 0 && !/^(option|select|input|textarea|button)$/i.test(child.tagName);
        if (textBox && style.display !== "inline" && style.overflowX === "visible" && child.clientWidth > 0
            && child.scrollWidth > child.clientWidth + 1) {
          problems.push(`${describe(child)} runs ${child.scrollWidth - child.clientWidth} px out of its own box`);
          continue;
        }
        if (scrollsSideways(child)) {
          if (child.scrollWidth > child.clientWidth) {
            for (const row of child.querySelectorAll("tr")) {
              const first = row.firstElementChild;
              if (first && getComputedStyle(first).position !== "sticky") {
                problems.push(`${describe(child)} scrolls sideways without keeping its first column in view`);
                break;
              }
            }
          }
          continue;
        }
        walk(child);
      }
    };
    walk(card);
  }
  return problems;
}
"""
