// Live updates: one WebSocket per page to /ws/dashboard/; each server event becomes a DOM event
// "live:<event>" whose detail is the payload, so pages subscribe with addEventListener.
(function () {
  const labels = {
    active: "Active", charging: "Charging", maintenance: "In maintenance", retired: "Retired",
    pending: "Pending", suspended_ev: "Suspended by vehicle", suspended_evse: "Suspended by station",
    finishing: "Finishing", completed: "Completed", failed: "Failed", aborted: "Aborted",
  };
  const dot = document.getElementById("live-status");
  let delay = 1000;

  function setState(state) {
    if (!dot) return;
    dot.dataset.state = state;
    dot.title = `Live updates: ${state}`;
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/dashboard/`);
    socket.onopen = () => { delay = 1000; setState("connected"); };
    socket.onmessage = (message) => {
      const data = JSON.parse(message.data);
      document.dispatchEvent(new CustomEvent(`live:${data.event}`, {detail: data.payload}));
      if (data.event === "notification.new") {
        const count = document.getElementById("unread-count");
        if (count) { count.textContent = Number(count.textContent || 0) + 1; count.hidden = false; }
      }
    };
    socket.onclose = (event) => {
      setState("disconnected");
      if (event.code === 4401) return;  // signed out: no retry
      if (event.code === 4403) { location.reload(); return; }  // access changed: sign in or scope the page anew
      // 1013 (live updates down for now) and every other close: reconnect with backoff
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }

  function pad(n) { return String(n).padStart(2, "0"); }

  window.EVLive = {
    label: (status) => labels[status] || status,
    // "24 Nov 08:15" in the browser's zone, which the dashboard's own zone normally matches.
    localTime: (iso) => {
      const d = new Date(iso);
      return d.toLocaleString(undefined, {day: "2-digit", month: "short", hour: "2-digit", minute: "2-digit", hour12: false});
    },
    // "2026-11-24 08:15:00" for Plotly axes, which take wall-clock strings.
    localWallTime: (iso) => {
      const d = new Date(iso);
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    },
  };
  setState("connecting");
  connect();
})();
