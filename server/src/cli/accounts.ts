// Account and domain administration for the CLI (and the test helpers): the admin service
// (admin/service.ts), with its events written to the data folder's event log, where a running
// server picks them up (suite-bus/event-bus.ts EventLogRelay).
import type { DataStores } from '../data-folder.ts';
import { AdminService } from '../admin/service.ts';
import { EventLogPublisher } from '../suite-bus/event-bus.ts';

export { AdminError } from '../admin/errors.ts';

/** The admin service of a process that is not the server: events go through the event log. */
export function offlineAdmin(data: DataStores, configuredComponents: readonly string[] = []): AdminService {
  return new AdminService(data.storage, data.directory, new EventLogPublisher(data.suiteEventLog), configuredComponents);
}

export async function addDomain(data: DataStores, domain: string): Promise<boolean> {
  return offlineAdmin(data).addDomain(domain);
}

export async function addUser(data: DataStores, jidText: string, password: string, name?: string): Promise<string> {
  return offlineAdmin(data).addUser(jidText, { password, displayName: name ?? null });
}

export async function setPassword(data: DataStores, jidText: string, password: string): Promise<void> {
  return offlineAdmin(data).setPassword(jidText, password);
}

export async function deleteUser(data: DataStores, jidText: string): Promise<void> {
  return offlineAdmin(data).deleteUser(jidText);
}
