// Service worker for browser Web Push: show what the platform pushes; a click opens its page.
self.addEventListener("push", (event) => {
  const data = event.data ? event.data.json() : {title: "EV Fleet", body: ""};
  event.waitUntil(self.registration.showNotification(data.title, {
    body: data.body, tag: `evfleet-${data.id}`, data: {link: data.link || "/notifications/"},
  }));
});
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(clients.openWindow(event.notification.data.link));
});
