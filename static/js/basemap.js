// The live map's offline basemap: a list of layers, each drawn from a file served with the site (static/basemap/,
// its README says where each comes from). Nothing is fetched from another host.
//
// Each entry: {name, attribution, labels (true: hidden under a tile server, which has its own labels),
// load(context) -> Promise of a Leaflet layer}. context: {map, urls (the <div>'s data-* URLs), fetchJSON}.
// Another offline layer is one more entry pushed onto EVBasemap.layers before livemap.js runs, or added here.
// "Roads" draws the streets of the imported road graphs (issue 18, routing/views/graphs.py roads.json) for the
// visible bounds, from zoom ROADS_MIN_ZOOM on, fetched again as the map moves.
(function () {
  const cache = {};
  function fetchJSON(url) {
    if (!cache[url]) {
      cache[url] = fetch(url, {credentials: "same-origin"}).then((response) => {
        if (!response.ok) throw new Error(`${url}: ${response.status}`);
        return response.json();
      });
    }
    return cache[url];
  }

  function countries(context) {
    return fetchJSON(context.urls.landUrl);
  }

  // Natural Earth's shapes that cross the antimeridian (Chukotka, Fiji) jump from 180° to -180°; drawn as they
  // are, Leaflet strokes and fills a band across the whole map. Each line or ring is made continuous instead
  // (a longitude past 180° is drawn past the map's edge, where it belongs).
  function unwrap(line) {
    let shift = 0;
    return line.map(([lon, lat], i) => {
      if (i > 0) {
        const previous = line[i - 1][0];
        if (lon - previous > 180) shift -= 360;
        else if (previous - lon > 180) shift += 360;
      }
      return [lon + shift, lat];
    });
  }
  function continuous(geometry) {
    const lines = {LineString: 0, MultiLineString: 1, Polygon: 1, MultiPolygon: 2}[geometry.type];
    const walk = (coordinates, depth) => (depth === 0 ? unwrap(coordinates) : coordinates.map((c) => walk(c, depth - 1)));
    if (geometry.type === "GeometryCollection") return {...geometry, geometries: geometry.geometries.map(continuous)};
    if (lines === undefined) return geometry;
    return {...geometry, coordinates: walk(geometry.coordinates, lines)};
  }
  function shapes(object) {
    if (object.type === "FeatureCollection") return {...object, features: object.features.map(shapes)};
    if (object.type === "Feature") return {...object, geometry: continuous(object.geometry)};
    return continuous(object);
  }

  const ROADS_MIN_ZOOM = 13;
  const ROAD_STYLE = {  // by OSM class: main roads wider and warmer
    motorway: {color: "#d4793c", weight: 3}, motorway_link: {color: "#d4793c", weight: 2},
    trunk: {color: "#dc9a52", weight: 3}, trunk_link: {color: "#dc9a52", weight: 2},
    primary: {color: "#e0b060", weight: 2.6}, primary_link: {color: "#e0b060", weight: 1.8},
    secondary: {color: "#c9b27a", weight: 2.2}, secondary_link: {color: "#c9b27a", weight: 1.6},
    tertiary: {color: "#a9a294", weight: 1.8}, tertiary_link: {color: "#a9a294", weight: 1.4},
  };
  function roadStyle(feature) {
    const style = ROAD_STYLE[feature.properties.highway] || {color: "#b9b4aa", weight: 1.2};
    return {...style, opacity: 0.9, lineCap: "round"};
  }

  // The layer is a group that refills itself on moveend; `roadsUrl` is absent on pages without the road graphs.
  function roads(context) {
    const map = context.map;
    if (!map.getPane("roads")) map.createPane("roads").style.zIndex = 160;  // above the land, under the labels
    const renderer = L.canvas({pane: "roads", padding: 0.2});
    const group = L.layerGroup([], {pane: "roads"});
    let wanted = "";
    function refresh() {
      if (!context.urls.roadsUrl || !map.hasLayer(group)) return;
      if (map.getZoom() < ROADS_MIN_ZOOM) { wanted = ""; group.clearLayers(); map.getContainer().dataset.roads = "zoom"; return; }
      const b = map.getBounds().pad(0.1);
      const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
      const bbox = [clamp(b.getSouth(), -90, 90), clamp(b.getWest(), -180, 180), clamp(b.getNorth(), -90, 90), clamp(b.getEast(), -180, 180)]
        .map((v) => v.toFixed(4)).join(",");
      if (bbox === wanted) return;
      wanted = bbox;
      fetch(`${context.urls.roadsUrl}?bbox=${bbox}`, {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then((response) => (response.ok ? response.json() : Promise.reject(new Error(`roads: ${response.status}`))))
        .then((collection) => {
          if (wanted !== bbox) return;  // the map moved on meanwhile
          group.clearLayers();
          group.addLayer(L.geoJSON(collection, {pane: "roads", renderer, interactive: false, style: roadStyle}));
          map.getContainer().dataset.roads = String(collection.segments);
        })
        .catch((error) => { wanted = ""; console.error("road layer:", error); });
    }
    map.on("moveend", refresh);
    group.on("add", () => { wanted = ""; setTimeout(refresh, 0); });
    // switched off: the streets go and so does their canvas (Leaflet keeps a renderer until it is removed)
    group.on("remove", () => { group.clearLayers(); wanted = ""; map.removeLayer(renderer); });
    return Promise.resolve(group);
  }

  const layers = [
    {
      name: "Land",
      attribution: "Natural Earth",
      load: (context) => countries(context).then((topology) =>
        L.geoJSON(shapes(topojson.feature(topology, topology.objects.land)), {
          pane: "basemap", interactive: false,
          style: {stroke: false, fill: true, fillColor: "#f3f0e8", fillOpacity: 1},
        })),
    },
    {
      name: "Borders",
      attribution: "Natural Earth",
      load: (context) => countries(context).then((topology) =>
        L.geoJSON(shapes(topojson.mesh(topology, topology.objects.countries, (a, b) => a !== b)), {
          pane: "basemap", interactive: false,
          style: {color: "#9c8fa8", weight: 1, dashArray: "4 3", fill: false},
        })),
    },
    {
      name: "Coast",
      attribution: "Natural Earth",
      load: (context) => countries(context).then((topology) =>
        L.geoJSON(shapes(topojson.mesh(topology, topology.objects.land)), {
          pane: "basemap", interactive: false,
          style: {color: "#6f93b0", weight: 1.2, fill: false},
        })),
    },
    {
      name: "Roads",
      attribution: "© OpenStreetMap contributors",
      load: roads,
    },
    {
      name: "Cities",
      attribution: "Natural Earth",
      labels: true,
      load: (context) => fetchJSON(context.urls.placesUrl).then((places) =>
        L.geoJSON(places, {
          pane: "basemapLabels", interactive: false,
          pointToLayer: (feature, latlng) => L.marker(latlng, {
            pane: "basemapLabels", interactive: false, keyboard: false,
            icon: L.divIcon({className: "place", html: `<span class="place-dot"></span><span class="place-name"></span>`, iconSize: null}),
          }).on("add", function () {
            // names as text, never as HTML
            this.getElement().querySelector(".place-name").textContent = feature.properties.name;
          }),
        })),
    },
  ];

  // A map that only shows the basemap (the routing pages): its panes, every layer (the labels only without a tile
  // server, which has its own) and the tile server's map when one is set. `urls` is the map <div>'s dataset:
  // landUrl, placesUrl, roadsUrl (optional), tilesUrl and tilesAttribution (optional). Each layer drawn adds one
  // to the <div>'s data-basemap-loaded.
  function addTo(map, urls) {
    if (!map.getPane("basemap")) map.createPane("basemap").style.zIndex = 150;
    if (!map.getPane("basemapLabels")) map.createPane("basemapLabels").style.zIndex = 390;
    const element = map.getContainer();
    const context = {map, urls: {landUrl: urls.landUrl, placesUrl: urls.placesUrl, roadsUrl: urls.roadsUrl}, fetchJSON};
    layers.forEach((entry) => {
      if (entry.labels && urls.tilesUrl) return;
      entry.load(context).then((layer) => {
        if (entry.attribution) layer.options.attribution = entry.attribution;
        layer.addTo(map);
        element.dataset.basemapLoaded = String(Number(element.dataset.basemapLoaded || 0) + 1);
      }).catch((error) => console.error(`basemap layer ${entry.name}:`, error));
    });
    if (urls.tilesUrl) L.tileLayer(urls.tilesUrl, {attribution: urls.tilesAttribution || "", maxZoom: 19}).addTo(map);
  }

  window.EVBasemap = {layers, fetchJSON, addTo};
})();
