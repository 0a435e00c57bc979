// DNS for federation and the admin's checks: the resolver (servers, timeouts, TTL cache) and the
// SRV target selection of RFC 6120 §3.2 / XEP-0368.
export { DnsResolver, DnsError, DNS_DEFAULTS, dnsName, type DnsSettings, type DnsErrorKind, type SrvAnswer, type AddressAnswer } from './resolver.ts';
export {
  serviceTargets, resolvedTargets, resolveTargets, resolveServerTargets, ServiceUnavailableError, DEFAULT_PORTS,
  type ServiceKind, type ServiceTarget, type ResolvedTarget,
} from './targets.ts';
export { orderSrvRecords } from './srv-order.ts';
