// Desktop notifications, opt-in: only when the user turned them on and the panel is hidden.
export function notificationsSupported(): boolean {
  return typeof Notification !== 'undefined';
}

export async function requestNotifications(): Promise<boolean> {
  if (!notificationsSupported()) return false;
  if (Notification.permission === 'granted') return true;
  if (Notification.permission === 'denied') return false;
  return (await Notification.requestPermission()) === 'granted';
}

export function notify(title: string, body: string, tag: string, onClick: () => void): void {
  if (!notificationsSupported() || Notification.permission !== 'granted' || !document.hidden) return;
  const notification = new Notification(title, { body: body.length > 140 ? `${body.slice(0, 139)}…` : body, tag });
  notification.onclick = () => {
    window.focus();
    onClick();
    notification.close();
  };
}
