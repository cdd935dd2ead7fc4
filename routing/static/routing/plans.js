// A route plan's page (/routing/plans/<id>/): the depot, the jobs and each planned route in its colour, with its
// charging stops, over the offline basemap (static/js/basemap.js) and, when EVFLEET_MAP_TILES_URL is set, a tile
// server's map. The data comes inline as <script id="plan-data">. While the plan is solving, the page asks for its
// status every 2 s and reloads once the solver is done.
(function () {
  const status = document.getElementById("plan-status");
  if (status && status.dataset.status === "solving") {
    const poll = () => fetch(status.dataset.statusUrl, {credentials: "same-origin", cache: "no-store"})
      .then((response) => response.json())
      .then((answer) => { if (answer.status !== "solving") window.location.reload(); else setTimeout(poll, 2000); })
      .catch(() => setTimeout(poll, 5000));
    setTimeout(poll, 2000);
  }

  const element = document.getElementById("plan-map");
  if (!element || !window.L) return;
  const data = JSON.parse(document.getElementById("plan-data").textContent);
  const urls = element.dataset;
  const map = L.map(element, {zoomSnap: 0.5, minZoom: 2, maxZoom: 18});
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  L.control.scale({metric: true, imperial: false, maxWidth: 140}).addTo(map);

  const text = (value) => String(value).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  const bounds = [];
  const served = new Set();
  data.routes.forEach((route) => {
    L.polyline(route.points, {color: route.colour, weight: 4, opacity: 0.85})
      .bindTooltip(`Route ${route.number}: ${text(route.vehicle)}`, {sticky: true}).addTo(map);
    route.stops.forEach((stop, index) => {
      bounds.push([stop.lat, stop.lon]);
      if (stop.kind === "charge") {
        L.marker([stop.lat, stop.lon], {
          icon: L.divIcon({className: "plan-pin charge", html: "⚡", iconSize: [22, 22]}),
          title: `Charging stop: ${stop.name}`,
        }).bindPopup(`<strong>⚡ ${text(stop.name)}</strong><br>Route ${route.number}, ${stop.arrives}–${stop.leaves}<br>` +
          `${stop.charge_kwh.toFixed(1)} kWh in ${Math.round(stop.charge_minutes)} min`).addTo(map);
      } else {
        served.add(stop.name);
        L.circleMarker([stop.lat, stop.lon], {radius: 9, color: "#fff", weight: 2, fillColor: route.colour, fillOpacity: 1})
          .bindTooltip(`${index + 1}`, {permanent: true, direction: "center", className: "plan-seq"})
          .bindPopup(`<strong>${text(stop.name)}</strong><br>Route ${route.number}, stop ${index + 1}: arrives ${stop.arrives}, leaves ${stop.leaves}`)
          .addTo(map);
      }
    });
  });
  data.jobs.filter((job) => !served.has(job.name)).forEach((job) => {
    bounds.push([job.lat, job.lon]);
    L.circleMarker([job.lat, job.lon], {radius: 7, color: "#334", weight: 2, fillColor: "#fff", fillOpacity: 1})
      .bindTooltip(text(job.name)).addTo(map);
  });
  const depot = [data.depot.lat, data.depot.lon];
  bounds.push(depot);
  L.marker(depot, {icon: L.divIcon({className: "plan-pin depot", html: "D", iconSize: [24, 24]}), title: data.depot.name, zIndexOffset: 1000})
    .bindPopup(`<strong>${text(data.depot.name)}</strong><br>Depot`).addTo(map);
  if (bounds.length > 1) map.fitBounds(bounds, {padding: [30, 30], maxZoom: 15});
  else map.setView(depot, 13);
  window.EVBasemap.addTo(map, urls);  // after the view: the streets layer asks for the visible bounds
})();
