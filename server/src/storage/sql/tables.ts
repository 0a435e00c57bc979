// The state storage's tables as the query layer (Kysely) sees them, one interface per table, as
// the feature migrations create them (storage/sql/*.ts, directory/sql/schema.ts, pubsub/sql/,
// suite-bus/event-log.ts). Flags are integers 0/1 on both dialects; JSON values are text.
import type { Generated, Kysely, Transaction } from 'kysely';

export interface AccountsTable { jid: string; domain: string; username: string; name: string | null; created_at: number; enabled: Generated<number> }
export interface CredentialsTable { jid: string; hash: 'SHA-1' | 'SHA-256'; salt: string; iterations: number; stored_key: string; server_key: string }
export interface RosterItemsTable {
  owner: string; contact: string; name: string | null; subscription: 'none' | 'to' | 'from' | 'both';
  ask: number; approved: number; groups: string;
}
export interface RosterVersionsTable { owner: string; version: number }
export interface SubscriptionRequestsTable { owner: string; requester: string; stanza: string; received_at: number; arrival: Generated<number> }
export interface OfflineMessagesTable { id: Generated<number>; recipient: string; stanza: string; stamped_at: number }
export interface VCardsTable { jid: string; vcard: string }
export interface ArchivePreferencesTable { owner: string; default_policy: 'always' | 'never' | 'roster'; always_jids: string; never_jids: string }
export interface ArchiveIndexQueueTable { id: Generated<number>; seq: number; entry: string; attempts: Generated<number> }
export interface KeyValuesTable { store: string; owner: string; key: string; value: string }
export interface FastTokensTable {
  jid: string; client_id: string; slot: 'new' | 'current'; mechanism: string; key_hash: string;
  issued_at: number; expires_at: number; user_agent: string | null;
}
export interface UploadsTable {
  id: string; owner: string; filename: string; size: number; content_type: string; created_at: number; slot_expires_at: number;
  state: 'reserved' | 'uploading' | 'stored'; stored_at: number | null;
}
export interface BlockedJidsTable { id: Generated<number>; owner: string; jid: string; blocked_at: number }

export interface DomainsTable { domain: string }
export interface DomainAliasesTable { alias: string; domain: string }
export interface DomainImSettingsTable { domain: string; enabled: number; access: 'everyone' | 'restricted' }
export interface DomainImAllowedTable { domain: string; kind: 'user' | 'group'; subject: string }
export interface UserEmailsTable { address: string; jid: string }
export interface DirectoryGroupsTable { name: string; description: string | null }
export interface GroupMembersTable { group_name: string; jid: string }
export interface RoleGrantsTable { role: string; kind: 'user' | 'group'; subject: string }
export interface AddressCardsTable { jid: string; card: Generated<string>; photo_type: string | null; photo: Buffer | null; photo_hash: Generated<string> }
export interface DomainFederationTable { domain: string; enabled: number; certificates: 'default' | 'allow-dialback' | 'require-valid' }
export interface DomainFederationPeersTable { domain: string; list: 'allow' | 'deny'; remote: string }

export interface PubSubNodesTable { service: string; node: string; config: string; affiliations: string; subscriptions: string; created_at: number }
export interface PubSubItemsTable { seq: Generated<number>; service: string; node: string; id: string; publisher: string; published_at: number; payload: string }

export interface SuiteEventsTable { id: Generated<number>; event: string; created_at: number }

export interface StateTables {
  accounts: AccountsTable;
  credentials: CredentialsTable;
  roster_items: RosterItemsTable;
  roster_versions: RosterVersionsTable;
  subscription_requests: SubscriptionRequestsTable;
  offline_messages: OfflineMessagesTable;
  vcards: VCardsTable;
  archive_preferences: ArchivePreferencesTable;
  archive_index_queue: ArchiveIndexQueueTable;
  key_values: KeyValuesTable;
  fast_tokens: FastTokensTable;
  blocked_jids: BlockedJidsTable;
  uploads: UploadsTable;
  domains: DomainsTable;
  domain_aliases: DomainAliasesTable;
  domain_im_settings: DomainImSettingsTable;
  domain_im_allowed: DomainImAllowedTable;
  user_emails: UserEmailsTable;
  directory_groups: DirectoryGroupsTable;
  group_members: GroupMembersTable;
  role_grants: RoleGrantsTable;
  address_cards: AddressCardsTable;
  domain_federation: DomainFederationTable;
  domain_federation_peers: DomainFederationPeersTable;
  pubsub_nodes: PubSubNodesTable;
  pubsub_items: PubSubItemsTable;
  suite_events: SuiteEventsTable;
}

export type StateDb = Kysely<StateTables> | Transaction<StateTables>;
