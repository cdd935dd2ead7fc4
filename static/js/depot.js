// The live depot view (dispatch/templates/dispatch/depot_detail.html): meter readings and session changes move a
// connector's kW, SoC and energy, station statuses move the badges, and the site's and its circuits' load bars
// follow; a session that starts or ends on a connector re-reads the charger table (its vehicle, plan and actions)
// without reloading the page. Commands' answers (reset, unlock, stop) are shown as they come.
(function () {
  const root = document.getElementById("depot");
  if (!root) return;
  const siteId = Number(root.dataset.siteId);
  const CP_LABELS = {operational: "Operational", partial: "Partially operational", maintenance: "Under maintenance",
                     faulted: "Faulted", offline: "Offline"};

  const fmt = (value, decimals, unit) =>
    value === null || value === undefined ? "–" : `${Number(value).toFixed(decimals)} ${unit}`;
  const number = (text) => Number.parseFloat(text);

  function field(scope, name) { return scope.querySelector(`[data-field="${name}"]`); }

  function setBar(bar, kw, limit) {
    if (!bar) return;
    const share = limit > 0 ? Math.min(100, (kw / limit) * 100) : 0;
    bar.firstElementChild.style.width = `${share.toFixed(1)}%`;
    bar.classList.toggle("full", share >= 95);
    bar.setAttribute("aria-valuenow", kw.toFixed(1));
  }

  // The site's load now: the sum of its connectors' kW; each circuit's: the sum over its charge points.
  function totals() {
    const perCp = new Map();
    let total = 0;
    for (const row of document.querySelectorAll("tr[data-connector-id]")) {
      const kw = number(row.dataset.kw) || 0;
      total += kw;
      perCp.set(row.dataset.chargePoint, (perCp.get(row.dataset.chargePoint) || 0) + kw);
    }
    const load = document.querySelector('[data-field="load-now"]');
    if (load) load.textContent = fmt(total, 1, "kW");
    setBar(document.querySelector('[data-field="load-bar"]'), total, number(root.dataset.limitKw));
    for (const item of document.querySelectorAll("[data-circuit-id]")) {
      const cps = item.dataset.chargePoints ? item.dataset.chargePoints.split(",") : [];
      const kw = cps.reduce((sum, cp) => sum + (perCp.get(cp) || 0), 0);
      field(item, "circuit-load").textContent = kw.toFixed(1);
      setBar(field(item, "circuit-bar"), kw, number(item.dataset.limitKw));
    }
  }

  // A session appeared or ended on a connector: the table's rows (vehicle, plan, actions) come from the server.
  let refreshing = null;
  function refresh() {
    if (refreshing) return;
    refreshing = setTimeout(async () => {
      try {
        const response = await fetch(location.pathname, {credentials: "same-origin"});
        if (!response.ok) return;
        const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
        for (const id of ["depot-connectors", "depot-load"]) {
          const next = fresh.getElementById(id);
          const now = document.getElementById(id);
          if (next && now) now.replaceWith(next);
        }
        totals();
      } finally {
        refreshing = null;
      }
    }, 400);
  }

  document.addEventListener("live:session.status", (e) => {
    const p = e.detail;
    if (p.site !== siteId) return;
    const row = document.querySelector(`tr[data-connector-id="${p.connector}"]`);
    if (!row) return;
    if (row.dataset.sessionId !== String(p.id) || p.ended_at) {
      row.dataset.kw = p.ended_at ? 0 : (p.power_kw || 0);
      totals();
      refresh();
      return;
    }
    row.dataset.kw = p.power_kw || 0;
    field(row, "kw").textContent = fmt(p.power_kw, 1, "kW");
    field(row, "energy").textContent = fmt(p.energy_kwh, 1, "kWh");
    if (p.soc_percent !== null && p.soc_percent !== undefined) {
      delete row.dataset.socFrom;  // the station's readings carry it from now on
      showSoc(row, p.soc_percent);
    }
    const status = field(row, "session-status");
    if (status) {
      status.className = `badge session-${p.status}`;
      status.hidden = p.status === "charging";  // the connector's badge says so already
      status.textContent = window.EVLive ? EVLive.label(p.status) : p.status;
    }
    row.classList.add("flash-update");
    setTimeout(() => row.classList.remove("flash-update"), 800);
    totals();
  });

  function showSoc(row, soc) {
    field(row, "soc").textContent = fmt(soc, 0, "%");
    field(row, "soc-bar").style.width = `${Math.round(soc)}%`;
    const required = field(row, "required-soc");
    if (required) required.classList.toggle("short", soc < number(row.dataset.requiredSoc));
  }

  // A station that sends no SoC: the row shows the vehicle's own, which telemetry moves.
  document.addEventListener("live:vehicles.telemetry", (e) => {
    for (const v of e.detail.vehicles) {
      if (v.soc_percent === null || v.soc_percent === undefined) continue;
      const row = document.querySelector(`tr[data-vehicle-id="${v.id}"][data-soc-from="vehicle"]`);
      if (row) showSoc(row, v.soc_percent);
    }
  });

  document.addEventListener("live:station.status", (e) => {
    const p = e.detail;
    if (p.site !== siteId) return;
    const group = document.querySelector(`tbody[data-charge-point-id="${p.charge_point}"]`);
    if (!group) return;
    const badge = field(group, "cp-status");
    badge.className = `badge cpstatus-${p.status}`;
    badge.textContent = CP_LABELS[p.status] || p.status;
    if (!p.connector) return;
    const row = group.querySelector(`tr[data-connector-id="${p.connector.id}"]`);
    if (!row) return;
    const before = field(row, "connector-status").textContent;
    const cbadge = field(row, "connector-status");
    cbadge.className = `badge conn-${p.connector.status}`;
    cbadge.textContent = p.connector.status;
    // Available ↔ busy changes which actions the row offers (start, or stop and priority): re-read it.
    if ((before === "Available") !== (p.connector.status === "Available")) refresh();
  });

  const ACTIONS = {Reset: "Reset", UnlockConnector: "Unlock", RemoteStopTransaction: "Stop",
                   RequestStopTransaction: "Stop", RemoteStartTransaction: "Start", RequestStartTransaction: "Start"};
  document.addEventListener("live:station.command", (e) => {
    const p = e.detail;
    const group = document.querySelector(`tbody[data-charge-point-id="${p.charge_point}"]`);
    if (!group || !ACTIONS[p.action]) return;
    const identity = group.querySelector(".cprow a").textContent;
    const note = document.createElement("div");
    note.className = p.state === "accepted" ? "flash" : "flash flash-error";
    note.setAttribute("role", "status");
    note.textContent = `${ACTIONS[p.action]} at ${identity}: ${p.state}${p.error ? ` (${p.error})` : ""}.`;
    const list = document.getElementById("depot-commands");
    list.prepend(note);
    while (list.children.length > 4) list.lastElementChild.remove();
  });
})();
