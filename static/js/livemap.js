// The live map (/dispatch/map/): vehicles, depots and charging sites over the offline basemap (basemap.js) and,
// when EVFLEET_MAP_TILES_URL is set, a tile server's map. The page's data (dispatch/livemap.py) comes inline as
// <script id="map-data">; the dashboard socket (live.js) moves it: vehicles.telemetry (position, SoC),
// vehicle.* (status), session.* (charging), trip.* (on a trip; next departures by a refresh of data.json),
// station.status (connectors). A new socket (hello) refreshes everything it may have missed.
(function () {
  const element = document.getElementById("live-map");
  if (!element || !window.L) return;
  const urls = element.dataset;
  let data = JSON.parse(document.getElementById("map-data").textContent);
  const labels = Object.fromEntries(data.statuses.map((s) => [s.value, s.label]));
  const vehicleStatus = {active: "Active", charging: "Charging", maintenance: "In maintenance", retired: "Retired"};

  const map = L.map(element, {zoomSnap: 0.5, worldCopyJump: true, minZoom: 2, maxZoom: 18, preferCanvas: false});
  map.createPane("basemap").style.zIndex = 150;
  map.createPane("basemapLabels").style.zIndex = 390;
  map.createPane("sites").style.zIndex = 610;  // depots above the vehicles parked on them
  map.attributionControl.setPrefix('<a href="https://leafletjs.com" title="A JavaScript library for interactive maps">Leaflet</a>');
  L.control.scale({metric: true, imperial: urls.distanceUnit === "mi", maxWidth: 140}).addTo(map);
  map.setView([30, 0], 2);

  // --- basemap: the offline layers, then the tile server's map over them when one is set ---------------------------
  const layerControl = L.control.layers(null, null, {position: "topright", collapsed: true}).addTo(map);
  const context = {map, urls: {landUrl: urls.landUrl, placesUrl: urls.placesUrl, roadsUrl: urls.roadsUrl}, fetchJSON: window.EVBasemap.fetchJSON};
  window.EVBasemap.layers.forEach((entry) => {
    if (entry.labels && urls.tilesUrl) return;  // the tiles carry their own labels
    entry.load(context).then((layer) => {
      if (entry.attribution) layer.options.attribution = entry.attribution;
      layer.addTo(map);
      layerControl.addOverlay(layer, entry.name);
      element.dataset.basemapLoaded = String(Number(element.dataset.basemapLoaded || 0) + 1);
      declutter();
    }).catch((error) => console.error(`basemap layer ${entry.name}:`, error));
  });
  if (urls.tilesUrl) {
    const tiles = L.tileLayer(urls.tilesUrl, {attribution: urls.tilesAttribution || "", maxZoom: 19}).addTo(map);
    layerControl.addOverlay(tiles, "Tile server map");
  }
  function showLabels() { element.classList.toggle("zoomed-out", map.getZoom() < 11); element.classList.toggle("world", map.getZoom() < 3); }
  map.on("zoomend", showLabels);
  showLabels();

  // Labels that would overlap one already placed are hidden (sites first, then cities, then vehicles): the dot stays,
  // its name shows on hover and in its popup. Past DECLUTTER_MAX labels in view, vehicles' labels are left off.
  const DECLUTTER_MAX = 400;
  let declutterFrame = null;
  function declutter() {
    cancelAnimationFrame(declutterFrame);
    declutterFrame = requestAnimationFrame(() => {
      const placed = [];
      const bounds = element.getBoundingClientRect();
      const labels = [".slabel", ".place-name", ".vlabel"].flatMap((selector) => [...element.querySelectorAll(selector)]);
      const inView = labels.filter((node) => {
        node.classList.remove("crowded");
        const r = node.getBoundingClientRect();
        return r.width && r.right > bounds.left && r.left < bounds.right && r.bottom > bounds.top && r.top < bounds.bottom;
      });
      inView.forEach((node, index) => {
        if (index >= DECLUTTER_MAX) { node.classList.add("crowded"); return; }
        const r = node.getBoundingClientRect();
        if (placed.some((p) => r.left < p.right && r.right > p.left && r.top < p.bottom && r.bottom > p.top)) {
          node.classList.add("crowded");
        } else {
          placed.push(r);
        }
      });
    });
  }
  map.on("zoomend moveend", declutter);

  // --- state ----------------------------------------------------------------------------------------------------
  const vehicleLayer = L.layerGroup().addTo(map);
  const siteLayer = L.layerGroup().addTo(map);
  const markers = {vehicles: new Map(), sites: new Map()};
  const filters = document.getElementById("map-filters");

  function byId(list) { return new Map(list.map((item) => [item.id, item])); }
  let vehicles = byId(data.vehicles);
  let sites = byId(data.sites);

  function distanceM(lat1, lon1, lat2, lon2) {
    const rad = Math.PI / 180, p1 = lat1 * rad, p2 = lat2 * rad;
    const a = Math.sin((p2 - p1) / 2) ** 2 + Math.cos(p1) * Math.cos(p2) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2;
    return 2 * 6371000 * Math.asin(Math.min(1, Math.sqrt(a)));
  }

  // The same rule as dispatch/livemap.py map_status().
  function mapStatus(v) {
    if (v.vehicle_status === "maintenance") return "maintenance";
    if (v.vehicle_status === "charging") return "charging";
    if (v.on_trip) return "on_trip";
    const depot = sites.get(v.depot);
    if (!depot || v.lat == null || v.lon == null) return "at_depot";
    return distanceM(v.lat, v.lon, depot.lat, depot.lon) <= data.at_depot_radius_m ? "at_depot" : "away";
  }

  function hasPosition(v) { return v.lat != null && v.lon != null; }
  function pct(value) { return value == null ? "–" : `${Math.round(value)} %`; }

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    Object.entries(attributes || {}).forEach(([key, value]) => {
      if (key === "class") node.className = value; else node.setAttribute(key, value);
    });
    children.flat().forEach((child) => { if (child != null) node.append(child); });
    return node;
  }

  function row(label, value) { return el("tr", null, el("th", null, label), el("td", null, value)); }

  function vehiclePopup(v) {
    const trip = v.next_trip;
    const rows = [
      row("SoC", el("span", {class: v.low_soc ? "low-soc" : ""}, pct(v.soc_percent))),
      row("Status", `${labels[v.status]}${v.vehicle_status !== v.status && vehicleStatus[v.vehicle_status] ? ` (${vehicleStatus[v.vehicle_status]})` : ""}`),
    ];
    const depot = sites.get(v.depot);
    if (depot) rows.push(row("Depot", depot.name));
    if (trip) {
      const parts = [trip.departs_local];
      if (trip.route) parts.push(trip.route);
      if (trip.distance) parts.push(trip.distance);
      rows.push(row("Next departure", parts.join(" · ")));
      if (trip.required_soc_percent != null) rows.push(row("Needs", `${pct(trip.required_soc_percent)} at departure`));
    } else {
      rows.push(row("Next departure", el("span", {class: "muted"}, "none planned")));
    }
    if (v.last_telemetry_at) rows.push(row("Position at", window.EVLive ? window.EVLive.localTime(v.last_telemetry_at) : v.last_telemetry_at));
    return el("div", {class: "mappopup", "data-vehicle-popup": v.id},
      el("h3", null, v.label, " ", el("span", {class: "muted small"}, v.department)),
      el("table", null, el("tbody", null, rows)),
      el("a", {href: v.url}, "Vehicle page →"));
  }

  function connectorCounts(site) {
    const counts = {free: 0, busy: 0, out: 0, byStatus: {}};
    Object.values(site.connectors).forEach((status) => {
      counts[data.connector_groups[status] || "out"] += 1;
      counts.byStatus[status] = (counts.byStatus[status] || 0) + 1;
    });
    return counts;
  }

  function sitePopup(site) {
    const counts = connectorCounts(site);
    const total = Object.keys(site.connectors).length;
    const statusRows = Object.entries(counts.byStatus).sort().map(([status, n]) =>
      el("li", null, el("span", {class: `cdot c-${data.connector_groups[status] || "out"}`}), `${status}: ${n}`));
    return el("div", {class: "mappopup", "data-site-popup": site.id},
      el("h3", null, site.name),
      el("p", {class: "small muted"}, `${site.kind === "depot" ? "Depot" : "Charging site"} · ${site.department}`),
      total
        ? el("p", null, el("strong", null, `${counts.free} free`), ` · ${counts.busy} in use · ${counts.out} out of service, of ${total}`)
        : el("p", {class: "muted"}, "No connectors."),
      statusRows.length ? el("ul", {class: "plainlist"}, statusRows) : null,
      el("a", {href: site.url}, "Site page →"));
  }

  function vehicleIcon(v) {
    return L.divIcon({
      className: `vmarker vs-${v.status}${v.low_soc ? " low" : ""}`,
      html: `<span class="vdot"></span><span class="vlabel"></span>`,
      iconSize: [18, 18], iconAnchor: [9, 9], popupAnchor: [0, -8],
    });
  }

  function siteIcon(site) {
    const counts = connectorCounts(site);
    const total = Object.keys(site.connectors).length;
    return L.divIcon({
      className: `smarker ${site.kind}${total && !counts.free ? " full" : ""}`,
      html: `<span class="sicon ${site.kind}">${site.kind === "depot" ? "D" : "C"}</span><span class="slabel"></span>`,
      iconSize: [24, 24], iconAnchor: [12, 12], popupAnchor: [0, -10],
    });
  }

  function dress(marker, text, attributes) {
    const node = marker.getElement();
    if (!node) return;
    node.querySelector(".vlabel, .slabel").textContent = text;
    Object.entries(attributes).forEach(([key, value]) => { node.dataset[key] = value; });
  }

  function drawVehicle(v) {
    v.status = mapStatus(v);
    let marker = markers.vehicles.get(v.id);
    if (!hasPosition(v)) {
      if (marker) { vehicleLayer.removeLayer(marker); markers.vehicles.delete(v.id); }
      return;
    }
    if (!marker) {
      marker = L.marker([v.lat, v.lon], {icon: vehicleIcon(v), title: v.label, riseOnHover: true});
      marker.bindPopup(() => vehiclePopup(vehicles.get(v.id)), {minWidth: 220});
      marker.on("add", () => drawVehicle(vehicles.get(v.id)));
      markers.vehicles.set(v.id, marker);
    } else {
      marker.setLatLng([v.lat, v.lon]);
      marker.setIcon(vehicleIcon(v));
      if (marker.isPopupOpen()) marker.setPopupContent(vehiclePopup(v));
    }
    marker._evStatus = v.status;
    dress(marker, v.label, {vehicleId: v.id, status: v.status, lat: v.lat, lon: v.lon, soc: v.soc_percent ?? ""});
  }

  function drawSite(site) {
    let marker = markers.sites.get(site.id);
    const counts = connectorCounts(site);
    const total = Object.keys(site.connectors).length;
    const label = total ? `${site.name} · ${counts.free}/${total} free` : site.name;
    if (!marker) {
      marker = L.marker([site.lat, site.lon], {icon: siteIcon(site), pane: "sites", title: site.name});
      marker.bindPopup(() => sitePopup(sites.get(site.id)), {minWidth: 220});
      marker.on("add", () => drawSite(sites.get(site.id)));
      markers.sites.set(site.id, marker);
    } else {
      marker.setLatLng([site.lat, site.lon]);
      marker.setIcon(siteIcon(site));
      if (marker.isPopupOpen()) marker.setPopupContent(sitePopup(site));
    }
    dress(marker, label, {siteId: site.id, free: counts.free, total});
    if (site.kind === "depot" && !marker._evZone) {
      // the "at the depot" zone: vehicles parked inside it count as at the depot
      marker._evZone = L.circle([site.lat, site.lon], {
        radius: data.at_depot_radius_m, pane: "basemapLabels", interactive: false,
        color: "#12202f", weight: 1, dashArray: "3 4", fillColor: "#12202f", fillOpacity: 0.05,
      });
      marker.on("add", () => marker._evZone.addTo(map)).on("remove", () => marker._evZone.remove());
      if (map.hasLayer(marker)) marker._evZone.addTo(map);
    }
  }

  // --- filters --------------------------------------------------------------------------------------------------
  function chosen() {
    const form = new FormData(filters);
    return {
      depot: Number(form.get("depot")) || null,
      statuses: new Set(form.getAll("status")),
      lowOnly: form.get("low") === "1",
      sites: form.get("sites") === "1",
    };
  }

  function shown(v, f) {
    return hasPosition(v) && f.statuses.has(v.status) && (!f.lowOnly || v.low_soc) && (!f.depot || v.depot === f.depot);
  }

  function apply() {
    const f = chosen();
    const counts = {low: 0};
    vehicles.forEach((v) => {
      counts[v.status] = (counts[v.status] || 0) + 1;
      if (v.low_soc) counts.low += 1;
      const marker = markers.vehicles.get(v.id);
      if (!marker) return;
      if (shown(v, f)) vehicleLayer.addLayer(marker); else vehicleLayer.removeLayer(marker);
    });
    sites.forEach((site) => {
      const marker = markers.sites.get(site.id);
      if (f.sites && (!f.depot || site.id === f.depot)) siteLayer.addLayer(marker); else siteLayer.removeLayer(marker);
    });
    document.querySelectorAll("[data-status-count]").forEach((node) => { node.textContent = counts[node.dataset.statusCount] || 0; });
    const missing = [...vehicles.values()].filter((v) => !hasPosition(v));
    const list = document.getElementById("no-position-list");
    list.replaceChildren(...missing.map((v) => el("li", {"data-vehicle-id": v.id}, el("a", {href: v.url}, v.label))));
    document.getElementById("no-position").hidden = !missing.length;
    declutter();
  }

  function fit() {
    const points = [];
    vehicleLayer.eachLayer((marker) => points.push(marker.getLatLng()));
    siteLayer.eachLayer((marker) => points.push(marker.getLatLng()));
    if (!points.length) { map.setView([30, 0], 2); return; }
    map.fitBounds(L.latLngBounds(points), {padding: [40, 40], maxZoom: 15});
  }

  filters.addEventListener("change", (event) => { apply(); if (event.target.name === "depot") fit(); });
  document.getElementById("map-fit").addEventListener("click", fit);

  // The URL's ?depot= and ?status= choose the first view (links from the board and the depot view).
  const params = new URLSearchParams(location.search);
  if (params.get("depot")) filters.elements.depot.value = params.get("depot");
  if (params.getAll("status").length) {
    const wanted = new Set(params.getAll("status"));
    filters.querySelectorAll('input[name="status"]').forEach((box) => { box.checked = wanted.has(box.value); });
  }

  function drawAll() {
    sites.forEach(drawSite);
    vehicles.forEach(drawVehicle);
    markers.vehicles.forEach((marker, id) => { if (!vehicles.has(id)) { vehicleLayer.removeLayer(marker); markers.vehicles.delete(id); } });
    markers.sites.forEach((marker, id) => { if (!sites.has(id)) { siteLayer.removeLayer(marker); markers.sites.delete(id); } });
    apply();
  }
  drawAll();
  fit();

  // --- live -----------------------------------------------------------------------------------------------------
  let refreshTimer = null;
  function refresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => {
      fetch(urls.dataUrl, {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
        .then((fresh) => { data = fresh; vehicles = byId(fresh.vehicles); sites = byId(fresh.sites); drawAll(); })
        .catch((error) => console.error("live map refresh:", error));
    }, 500);
  }

  function changed(v) { drawVehicle(v); apply(); }

  on("vehicles.telemetry", (payload) => {
    payload.vehicles.forEach((state) => {
      const v = vehicles.get(state.id);
      if (!v) return;
      v.lat = state.last_latitude; v.lon = state.last_longitude;
      v.soc_percent = state.soc_percent;
      v.low_soc = state.soc_percent != null && state.soc_percent < data.low_soc_percent;
      v.last_telemetry_at = state.last_telemetry_at;
      drawVehicle(v);
    });
    apply();
  });
  on("vehicle.updated", (payload) => {
    const v = vehicles.get(payload.id);
    if (!v) { refresh(); return; }
    if (payload.status === "retired") { vehicles.delete(payload.id); drawAll(); return; }
    v.vehicle_status = payload.status;
    v.soc_percent = payload.soc_percent;
    v.low_soc = payload.soc_percent != null && payload.soc_percent < data.low_soc_percent;
    changed(v);
  });
  on("vehicle.created", refresh);
  on("vehicle.deleted", (payload) => { if (vehicles.delete(payload.id)) drawAll(); });
  ["session.started", "session.status", "session.ended"].forEach((name) => on(name, (payload) => {
    const v = vehicles.get(payload.vehicle);
    if (!v || v.vehicle_status === "maintenance" || v.vehicle_status === "retired") return;
    v.vehicle_status = payload.vehicle_charging ? "charging" : "active";
    changed(v);
  }));
  ["trip.created", "trip.updated"].forEach((name) => on(name, (payload) => {
    const v = vehicles.get(payload.vehicle);
    if (v) { v.on_trip = payload.status === "under_way"; changed(v); }
    refresh();  // the next departure shown in the popup
  }));
  on("trip.deleted", refresh);
  on("station.status", (payload) => {
    const site = sites.get(payload.site);
    if (!site || !payload.connector) return;
    site.connectors[payload.connector.id] = payload.connector.status;
    drawSite(site);
  });
  let hellos = 0;
  on("hello", () => { hellos += 1; if (hellos > 1) refresh(); });  // reconnected: catch up on what was missed

  function on(name, handler) { document.addEventListener(`live:${name}`, (event) => handler(event.detail)); }

  window.EVLiveMap = {map, markers, refresh, fit};
})();
