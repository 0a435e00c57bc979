// IP address helpers shared by the listeners (TCP, WebSocket, BOSH) and the admin API.

const LOOPBACK_V4 = /^(::ffff:)?127\./;

/** The peer is on 127.0.0.0/8 or ::1. */
export function isLoopbackAddress(address: string): boolean {
  return address === '::1' || LOOPBACK_V4.test(address);
}
