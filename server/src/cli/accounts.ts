// Account and domain administration for the CLI (and the test helpers): the admin service
// (admin/service.ts), with its events written to the database's event log, where a running server
// picks them up (suite-bus/event-bus.ts EventLogRelay).
import type { Storage } from '../storage/index.ts';
import { AdminService } from '../admin/service.ts';
import { EventLogPublisher } from '../suite-bus/event-bus.ts';

export { AdminError } from '../admin/errors.ts';

/** The admin service of a process that is not the server: events go through the event log. */
export function offlineAdmin(storage: Storage): AdminService {
  return new AdminService(storage, new EventLogPublisher(storage.suiteEvents));
}

export async function addDomain(storage: Storage, domain: string): Promise<boolean> {
  return offlineAdmin(storage).addDomain(domain);
}

export async function addUser(storage: Storage, jidText: string, password: string, name?: string): Promise<string> {
  return offlineAdmin(storage).addUser(jidText, { password, displayName: name ?? null });
}

export async function setPassword(storage: Storage, jidText: string, password: string): Promise<void> {
  return offlineAdmin(storage).setPassword(jidText, password);
}

export async function deleteUser(storage: Storage, jidText: string): Promise<void> {
  return offlineAdmin(storage).deleteUser(jidText);
}
