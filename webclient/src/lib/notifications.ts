// Desktop notifications (opt-in) for messages from a conversation that is not on screen: the
// panel hidden, or another conversation open. The permission flow says why when the browser refuses.
export type PermissionOutcome = 'granted' | 'denied' | 'unsupported';

export function notificationsSupported(): boolean {
  return typeof Notification !== 'undefined';
}

export async function requestNotifications(): Promise<PermissionOutcome> {
  if (!notificationsSupported()) return 'unsupported';
  if (Notification.permission === 'granted') return 'granted';
  if (Notification.permission === 'denied') return 'denied';
  return (await Notification.requestPermission()) === 'granted' ? 'granted' : 'denied';
}

export function notify(title: string, body: string, tag: string, onClick: () => void): void {
  if (!notificationsSupported() || Notification.permission !== 'granted') return;
  const notification = new Notification(title, { body: body.length > 140 ? `${body.slice(0, 139)}…` : body, tag });
  notification.onclick = () => {
    window.focus();
    onClick();
    notification.close();
  };
}
