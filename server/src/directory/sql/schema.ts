// The embedded directory's tables, written once for SQLite and PostgreSQL (storage/sql/schema.ts).
// They live beside the state storage's: the directory's users are the rows of the accounts table
// (storage/sql/accounts.ts), which it gives an enabled flag.
import { sql } from '../../storage/sql/kysely.ts';
import { ACCOUNTS_SCHEMA } from '../../storage/sql/accounts.ts';
import type { SqlFeatureSchema } from '../../storage/sql/schema.ts';

const userOrGroup = sql`kind IN ('user', 'group')`;

export const DIRECTORY_SCHEMA: SqlFeatureSchema = {
  feature: 'directory',
  // its users are accounts: a column, foreign keys and triggers on that table
  requires: [ACCOUNTS_SCHEMA],
  migrations: [
    {
      description: 'served domains',
      statements: ({ schema, type, withoutRowid }) => [
        withoutRowid(schema.createTable('domains').addColumn('domain', type.text, (col) => col.primaryKey())),
      ],
    },
    {
      description: 'suite directory: domain aliases and IM settings, user status, emails, groups, roles, cards',
      statements: ({ schema, type, withoutRowid, afterDelete }) => [
        // A disabled account cannot log in; its live sessions are ended (directory/live-sync.ts).
        schema.alterTable('accounts').addColumn('enabled', type.integer, (col) => col.notNull().defaultTo(1)),
        // Other names of a domain: alice@alias maps to alice@domain.
        withoutRowid(schema.createTable('domain_aliases')
          .addColumn('alias', type.text, (col) => col.primaryKey())
          .addColumn('domain', type.text, (col) => col.notNull().references('domains.domain').onDelete('cascade'))),
        // Per-domain IM settings; no row = enabled for everyone (directory/types.ts ImAccess).
        withoutRowid(schema.createTable('domain_im_settings')
          .addColumn('domain', type.text, (col) => col.primaryKey().references('domains.domain').onDelete('cascade'))
          .addColumn('enabled', type.integer, (col) => col.notNull().defaultTo(1))
          .addColumn('access', type.text, (col) => col.notNull().defaultTo('everyone').check(sql`access IN ('everyone', 'restricted')`))),
        withoutRowid(schema.createTable('domain_im_allowed')
          .addColumn('domain', type.text, (col) => col.notNull().references('domains.domain').onDelete('cascade'))
          .addColumn('kind', type.text, (col) => col.notNull().check(userOrGroup))
          .addColumn('subject', type.text, (col) => col.notNull())
          .addPrimaryKeyConstraint('domain_im_allowed_pk', ['domain', 'kind', 'subject'])),
        // A user's email addresses besides the default one, which is the JID itself.
        withoutRowid(schema.createTable('user_emails')
          .addColumn('address', type.text, (col) => col.primaryKey())
          .addColumn('jid', type.text, (col) => col.notNull().references('accounts.jid').onDelete('cascade'))),
        schema.createIndex('user_emails_by_jid').on('user_emails').column('jid'),
        withoutRowid(schema.createTable('directory_groups')
          .addColumn('name', type.text, (col) => col.primaryKey())
          .addColumn('description', type.text)),
        withoutRowid(schema.createTable('group_members')
          .addColumn('group_name', type.text, (col) => col.notNull().references('directory_groups.name').onDelete('cascade'))
          .addColumn('jid', type.text, (col) => col.notNull().references('accounts.jid').onDelete('cascade'))
          .addPrimaryKeyConstraint('group_members_pk', ['group_name', 'jid'])),
        schema.createIndex('group_members_by_jid').on('group_members').column('jid'),
        withoutRowid(schema.createTable('role_grants')
          .addColumn('role', type.text, (col) => col.notNull())
          .addColumn('kind', type.text, (col) => col.notNull().check(userOrGroup))
          .addColumn('subject', type.text, (col) => col.notNull())
          .addPrimaryKeyConstraint('role_grants_pk', ['role', 'kind', 'subject'])),
        // Grants and allow-list entries name users and groups without a foreign key (either kind):
        // they go with the user or group.
        ...afterDelete('accounts_directory_cleanup', 'accounts', [
          "DELETE FROM role_grants WHERE kind = 'user' AND subject = OLD.jid",
          "DELETE FROM domain_im_allowed WHERE kind = 'user' AND subject = OLD.jid",
        ]),
        ...afterDelete('groups_directory_cleanup', 'directory_groups', [
          "DELETE FROM role_grants WHERE kind = 'group' AND subject = OLD.name",
          "DELETE FROM domain_im_allowed WHERE kind = 'group' AND subject = OLD.name",
        ]),
        // The address-book card (JSON of directory/types.ts AddressCard) and the directory photo.
        withoutRowid(schema.createTable('address_cards')
          .addColumn('jid', type.text, (col) => col.primaryKey().references('accounts.jid').onDelete('cascade'))
          .addColumn('card', type.text, (col) => col.notNull().defaultTo('{}'))
          .addColumn('photo_type', type.text)
          .addColumn('photo', type.blob)
          .addColumn('photo_hash', type.text, (col) => col.notNull().defaultTo(''))),
      ],
    },
    {
      description: 'per-domain federation: on/off, certificate policy, allow and deny lists of remote domains',
      statements: ({ schema, type, withoutRowid }) => [
        // No row = federation on, the server's certificate policy (directory/types.ts DomainFederationSettings).
        withoutRowid(schema.createTable('domain_federation')
          .addColumn('domain', type.text, (col) => col.primaryKey().references('domains.domain').onDelete('cascade'))
          .addColumn('enabled', type.integer, (col) => col.notNull().defaultTo(1))
          .addColumn('certificates', type.text, (col) => col.notNull().defaultTo('default')
            .check(sql`certificates IN ('default', 'allow-dialback', 'require-valid')`))),
        withoutRowid(schema.createTable('domain_federation_peers')
          .addColumn('domain', type.text, (col) => col.notNull().references('domains.domain').onDelete('cascade'))
          .addColumn('list', type.text, (col) => col.notNull().check(sql`list IN ('allow', 'deny')`))
          .addColumn('remote', type.text, (col) => col.notNull())
          .addPrimaryKeyConstraint('domain_federation_peers_pk', ['domain', 'list', 'remote'])),
      ],
    },
  ],
};
