// Account and domain administration shared by the CLI (and later the admin API).
import { parseJid } from '@parley/shared';
import { deriveAllCredentials } from '../sasl/index.ts';
import { StorageConflictError, type Storage } from '../storage/index.ts';

export class AdminError extends Error {}

export async function addDomain(storage: Storage, domain: string): Promise<boolean> {
  const { domain: normalized } = parseJid(domain);
  return storage.domains.add(normalized);
}

export async function addUser(storage: Storage, jidText: string, password: string, name?: string): Promise<string> {
  const jid = parseJid(jidText);
  if (!jid.local || !jid.isBare) throw new AdminError(`${jidText} is not a user JID like alice@example.com`);
  if (!(await storage.domains.has(jid.domain))) {
    throw new AdminError(`${jid.domain} is not served here; add it first with: parley domain add ${jid.domain}`);
  }
  if (password.length === 0) throw new AdminError('the password must not be empty');
  try {
    await storage.accounts.create(jid.bare, await deriveAllCredentials(password), name ?? null);
  } catch (error) {
    if (error instanceof StorageConflictError) throw new AdminError(`${jid.bare} already exists`);
    throw error;
  }
  return jid.bare;
}

export async function setPassword(storage: Storage, jidText: string, password: string): Promise<void> {
  const jid = parseJid(jidText);
  if (!(await storage.accounts.get(jid.bare))) throw new AdminError(`${jid.bare} does not exist`);
  if (password.length === 0) throw new AdminError('the password must not be empty');
  await storage.accounts.setCredentials(jid.bare, await deriveAllCredentials(password));
}

export async function deleteUser(storage: Storage, jidText: string): Promise<void> {
  const jid = parseJid(jidText);
  if (!(await storage.accounts.delete(jid.bare))) throw new AdminError(`${jid.bare} does not exist`);
}
