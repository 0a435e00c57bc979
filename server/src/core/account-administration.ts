// The account operations modules may run (XEP-0077 registration, XEP-0133 admin commands), with
// the rules of the admin API and the CLI: the admin service (admin/service.ts) implements them.
// Declared here, beside the module API that hands them out, so that the module API does not
// depend on the admin layer, which itself builds on core.
import type { DirectoryUser } from '../directory/types.ts';

export interface NewUser {
  /** Local password (SCRAM verifiers); none for single sign-on or core-auth users. */
  password?: string | undefined;
  displayName?: string | null | undefined;
  /** Extra email addresses (the default one is the JID). */
  emails?: string[] | undefined;
  enabled?: boolean | undefined;
}

export interface UserChange {
  displayName?: string | null | undefined;
  enabled?: boolean | undefined;
  password?: string | undefined;
}

export interface AccountAdministration {
  /** A new account on a served domain; its bare JID. */
  addUser(jid: string, options?: NewUser): Promise<string>;
  setPassword(jid: string, password: string): Promise<void>;
  updateUser(jid: string, change: UserChange): Promise<DirectoryUser>;
  deleteUser(jid: string): Promise<void>;
}
