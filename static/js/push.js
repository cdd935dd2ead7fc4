// Subscribe this browser to Web Push with the platform's VAPID key, or unsubscribe it.
(function () {
  const button = document.getElementById("push-toggle");
  const state = document.getElementById("push-state");
  if (!button) return;
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
    state.textContent = "This browser cannot receive push notifications.";
    button.disabled = true;
    return;
  }
  const csrf = document.querySelector("[name=csrfmiddlewaretoken]").value;
  const key = (b64) => Uint8Array.from(atob(b64.replace(/-/g, "+").replace(/_/g, "/") + "==".slice(0, (4 - b64.length % 4) % 4)), (c) => c.charCodeAt(0));
  const api = (method, body) => fetch("/api/v1/push-subscriptions/", {
    method, credentials: "same-origin", headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
    body: body ? JSON.stringify(body) : undefined,
  });
  async function refresh() {
    const registration = await navigator.serviceWorker.register("/sw.js");
    const current = await registration.pushManager.getSubscription();
    button.textContent = current ? "Turn off push on this browser" : "Turn on push on this browser";
    state.textContent = current ? "This browser receives push notifications." : "";
    return {registration, current};
  }
  button.addEventListener("click", async () => {
    try {
      const {registration, current} = await refresh();
      if (current) {
        await api("DELETE", {endpoint: current.endpoint});
        await current.unsubscribe();
      } else {
        const {public_key} = await (await api("GET")).json();
        const subscription = await registration.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: key(public_key)});
        const saved = await api("POST", subscription.toJSON());
        if (!saved.ok) throw new Error(`the server answered ${saved.status}`);
      }
      await refresh();
    } catch (error) {
      state.textContent = `Push is not available here: ${error.message}`;
    }
  });
  refresh().catch((error) => { state.textContent = `Push is not available here: ${error.message}`; });
})();
