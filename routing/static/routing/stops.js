// The charging-stops page (/routing/charging-stops/): the trip and its stops on a Leaflet map over the offline
// basemap (static/js/basemap.js; local assets only). The plan comes inline as <script id="stops-data"> (origin,
// destination, stops with their coordinates). The legs are straight lines: the planner estimates them from the
// great-circle distance, it follows no road.
(function () {
  const element = document.getElementById("stops-map");
  const source = document.getElementById("stops-data");
  if (!element || !source || !window.L) return;
  const data = JSON.parse(source.textContent);
  const map = L.map(element, {zoomSnap: 0.5, minZoom: 2, maxZoom: 18});
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  L.control.scale({metric: true, imperial: false, maxWidth: 140}).addTo(map);
  const points = [data.origin, ...data.stops, data.destination].map((p) => [p.latitude, p.longitude]);
  map.fitBounds(L.latLngBounds(points).pad(0.15));

  function pin(latlng, kind, label, name) {
    const icon = L.divIcon({className: "stops-marker", html: `<span class="stops-pin ${kind}"></span>`,
      iconSize: [20, 20], iconAnchor: [10, 10]});
    const tip = document.createElement("span");
    tip.textContent = name;  // names as text, never as HTML
    const marker = L.marker(latlng, {icon, keyboard: false, title: name}).bindTooltip(tip, {direction: "top"}).addTo(map);
    marker.getElement().querySelector(".stops-pin").textContent = label;
    return marker;
  }
  L.polyline(points, {color: "#2563eb", weight: 3, dashArray: "6 6"}).addTo(map);
  pin(points[0], "origin", "A", `Origin: ${data.origin.name}`);
  data.stops.forEach((stop, i) => pin([stop.latitude, stop.longitude], "stop", String(i + 1), `${i + 1}. ${stop.name}`));
  pin(points[points.length - 1], "destination", "B", `Destination: ${data.destination.name}`);
  element.dataset.pins = String(points.length);
  window.EVBasemap.addTo(map, element.dataset);
})();
