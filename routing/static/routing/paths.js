// The routing home (/routing/): the road graph's streets as the offline basemap, the three routes in their colours
// (and an external provider's, when configured), the origin and destination pins; "Pick on the map" fills a
// place's coordinates from a click. The page's data comes inline as <script id="paths-data"> (routing/views/paths.py).
(function () {
  const element = document.getElementById("paths-map");
  if (!element || !window.L) return;
  const data = JSON.parse(document.getElementById("paths-data").textContent);
  const urls = element.dataset;

  const map = L.map(element, {zoomSnap: 0.5, minZoom: 3, maxZoom: 19});
  map.attributionControl.setPrefix('<a href="https://leafletjs.com" title="A JavaScript library for interactive maps">Leaflet</a>');
  L.control.scale({metric: true, imperial: urls.distanceUnit === "mi", maxWidth: 140}).addTo(map);
  // the view first: Leaflet draws a layer (and gives it an element) only once the map has one
  const routePoints = data.routes.concat(data.providers).flatMap((route) => route.line);
  if (routePoints.length) {
    map.fitBounds(L.latLngBounds(routePoints), {padding: [30, 30]});
  } else if (data.bounds) {
    const [south, west, north, east] = data.bounds;
    map.fitBounds([[south, west], [north, east]], {padding: [10, 10]});
  } else {
    map.setView([60.17, 24.94], 11);
  }
  if (urls.tilesUrl) {
    L.tileLayer(urls.tilesUrl, {attribution: urls.tilesAttribution || "", maxZoom: 19}).addTo(map);
  }
  if (data.roads.length) {
    L.polyline(data.roads, {color: "#9aa5b1", weight: 1.5, opacity: 0.9, interactive: false,
      attribution: "© OpenStreetMap contributors"}).addTo(map);
  }

  const drawn = [];
  const routeLayer = L.layerGroup().addTo(map);
  // least energy drawn last (on top), each a little narrower so overlapping routes stay visible
  const widths = {shortest: 9, fastest: 6.5, least_energy: 4};
  data.routes.forEach((route) => {
    const line = L.polyline(route.line, {color: route.colour, weight: widths[route.metric] || 4, opacity: 0.9});
    line.bindTooltip(route.label, {sticky: true});
    line.addTo(routeLayer);
    line.getElement().dataset.metric = route.metric;
    drawn.push(line);
  });
  data.providers.forEach((route) => {
    const line = L.polyline(route.line, {color: route.colour, weight: 3, dashArray: "6 5", opacity: 0.9});
    line.bindTooltip(`${route.label} (external)`, {sticky: true});
    line.addTo(routeLayer);
    drawn.push(line);
  });
  element.dataset.drawn = String(data.routes.length);

  const pins = {};
  function pin(place, latlng) {
    const icon = L.divIcon({className: "paths-pin", html: `<span class="pin pin-${place}">${place === "origin" ? "A" : "B"}</span>`,
      iconSize: [24, 24], iconAnchor: [12, 12]});
    if (pins[place]) pins[place].setLatLng(latlng);
    else pins[place] = L.marker(latlng, {icon, keyboard: false, title: place === "origin" ? "Origin" : "Destination"}).addTo(map);
  }
  if (data.origin) pin("origin", data.origin);
  if (data.destination) pin("destination", data.destination);


  // --- picking a place on the map --------------------------------------------------------------------------------
  const form = document.getElementById("paths-form");
  let picking = null;
  function setPicking(place) {
    picking = place;
    form.querySelectorAll(".paths-pick").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.pick === place)));
    element.classList.toggle("picking", Boolean(place));
  }
  form.querySelectorAll(".paths-pick").forEach((button) => {
    button.addEventListener("click", () => setPicking(picking === button.dataset.pick ? null : button.dataset.pick));
  });
  map.on("click", (event) => {
    if (!picking) return;
    const place = picking;
    form.elements[`${place}_lat`].value = event.latlng.lat.toFixed(6);
    form.elements[`${place}_lon`].value = event.latlng.lng.toFixed(6);
    form.elements[`${place}_site`].value = "";
    pin(place, event.latlng);
    setPicking(place === "origin" && !form.elements.destination_lat.value ? "destination" : null);
  });
  // typing coordinates or choosing a site: the other form of the place is cleared
  ["origin", "destination"].forEach((place) => {
    form.elements[`${place}_site`].addEventListener("change", (event) => {
      if (event.target.value) { form.elements[`${place}_lat`].value = ""; form.elements[`${place}_lon`].value = ""; }
    });
  });
})();
