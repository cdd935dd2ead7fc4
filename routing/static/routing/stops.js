// The charging-stops page (/routing/charging-stops/): the trip and its stops on a Leaflet map (local assets only).
// The plan comes inline as <script id="stops-data"> (origin, destination, stops with their coordinates).
(function () {
  const element = document.getElementById("stops-map");
  const source = document.getElementById("stops-data");
  if (!element || !source || !window.L) return;
  const data = JSON.parse(source.textContent);
  // Leaflet puts a string tooltip into innerHTML: site names are anyone's input, so they go in escaped.
  const text = (value) => String(value).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  const map = L.map(element, {zoomSnap: 0.5, attributionControl: false});
  const points = [data.origin, ...data.stops, data.destination].map((p) => [p.latitude, p.longitude]);
  L.polyline(points, {color: "#2563eb", weight: 3, dashArray: "6 6"}).addTo(map);
  L.circleMarker(points[0], {radius: 8, color: "#15803d", fillOpacity: 0.9}).bindTooltip("Origin: " + text(data.origin.name)).addTo(map);
  L.circleMarker(points[points.length - 1], {radius: 8, color: "#b91c1c", fillOpacity: 0.9})
    .bindTooltip("Destination: " + text(data.destination.name)).addTo(map);
  data.stops.forEach((stop, i) => {
    L.marker([stop.latitude, stop.longitude], {title: stop.name})
      .bindTooltip((i + 1) + ". " + text(stop.name), {direction: "top"}).addTo(map);
  });
  map.fitBounds(L.latLngBounds(points).pad(0.15));
})();
