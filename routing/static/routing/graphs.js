// The road graphs page: while an import is pending or running, poll status.json every 2 s and move each row's
// progress bar, percentage, status and message; once none runs any more, reload (bounds, counts, import time).
(function () {
  const table = document.getElementById("road-graphs");
  if (!table || !table.dataset.importing) return;
  const running = (status) => status === "pending" || status === "importing";
  function poll() {
    fetch(table.dataset.statusUrl, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((body) => {
        let busy = false, finished = false;
        body.graphs.forEach((graph) => {
          const row = table.querySelector(`tr[data-graph-id="${graph.id}"]`);
          if (!row) return;
          if (running(row.dataset.status) && !running(graph.status)) finished = true;
          row.dataset.status = graph.status;
          const status = row.querySelector('[data-role="status"]');
          status.textContent = graph.status_label;
          status.className = `badge graph-${graph.status}`;
          const bar = row.querySelector('[data-role="bar"]'), percent = row.querySelector('[data-role="percent"]');
          bar.value = graph.progress_percent;
          percent.textContent = `${graph.progress_percent} %`;
          bar.hidden = percent.hidden = !running(graph.status);
          row.querySelector('[data-role="message"]').textContent = graph.message;
          if (running(graph.status)) busy = true;
        });
        if (finished && !busy) { location.reload(); return; }
        if (busy) setTimeout(poll, 2000);
      })
      .catch((error) => { console.error("road graph status:", error); setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
