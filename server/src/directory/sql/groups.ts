// GroupDirectory on the query layer: groups, their members, and roles granted to users or groups.
import { DirectoryConflictError, type GrantSubject, type Group, type GroupDirectory } from '../types.ts';
import { count, type SqlScope } from '../../storage/sql/database.ts';
import type { StateDb } from '../../storage/sql/tables.ts';

function subjectOf(subject: GrantSubject): ['user' | 'group', string] {
  return 'user' in subject ? ['user', subject.user] : ['group', subject.group];
}

async function exists(db: StateDb, kind: 'user' | 'group', name: string): Promise<boolean> {
  const row = kind === 'user'
    ? await db.selectFrom('accounts').select('jid').where('jid', '=', name).executeTakeFirst()
    : await db.selectFrom('directory_groups').select('name').where('name', '=', name).executeTakeFirst();
  return row !== undefined;
}

export class SqlGroupDirectory implements GroupDirectory {
  constructor(private readonly scope: SqlScope) {}

  async of(jid: string): Promise<string[]> {
    const rows = await this.scope.db.selectFrom('group_members').select('group_name').where('jid', '=', jid).orderBy('group_name').execute();
    return rows.map((row) => row.group_name);
  }

  async holdsRole(jid: string, role: string): Promise<boolean> {
    const db = this.scope.db;
    const direct = db.selectFrom('role_grants').select('role').where('role', '=', role).where('kind', '=', 'user').where('subject', '=', jid);
    const throughGroup = db.selectFrom('role_grants as g').innerJoin('group_members as m', (join) => join
      .on('g.kind', '=', 'group').onRef('g.subject', '=', 'm.group_name'))
      .select('g.role').where('g.role', '=', role).where('m.jid', '=', jid);
    return (await direct.unionAll(throughGroup).limit(1).executeTakeFirst()) !== undefined;
  }

  async get(name: string): Promise<Group | null> {
    return this.scope.read(async (db) => {
      const row = await db.selectFrom('directory_groups').select(['name', 'description']).where('name', '=', name).executeTakeFirst();
      return row ? this.toGroup(db, row) : null;
    });
  }

  async list(): Promise<Group[]> {
    return this.scope.read(async (db) => {
      const out: Group[] = [];
      for (const row of await db.selectFrom('directory_groups').select(['name', 'description']).orderBy('name').execute()) {
        out.push(await this.toGroup(db, row));
      }
      return out;
    });
  }

  async create(name: string, description: string | null = null): Promise<boolean> {
    const inserted = await this.scope.db.insertInto('directory_groups').values({ name, description })
      .onConflict((oc) => oc.column('name').doNothing()).executeTakeFirst();
    return count(inserted.numInsertedOrUpdatedRows) > 0;
  }

  async delete(name: string): Promise<boolean> {
    return count((await this.scope.db.deleteFrom('directory_groups').where('name', '=', name).executeTakeFirst()).numDeletedRows) > 0;
  }

  async addMember(group: string, jid: string): Promise<boolean> {
    return this.scope.atomic(async (db) => {
      if (!await exists(db, 'group', group)) throw new DirectoryConflictError(`no group ${group}`);
      if (!await exists(db, 'user', jid)) throw new DirectoryConflictError(`no user ${jid}`);
      const inserted = await db.insertInto('group_members').values({ group_name: group, jid }).onConflict((oc) => oc.doNothing()).executeTakeFirst();
      return count(inserted.numInsertedOrUpdatedRows) > 0;
    });
  }

  async removeMember(group: string, jid: string): Promise<boolean> {
    const deleted = await this.scope.db.deleteFrom('group_members').where('group_name', '=', group).where('jid', '=', jid).executeTakeFirst();
    return count(deleted.numDeletedRows) > 0;
  }

  async grantRole(role: string, subject: GrantSubject): Promise<boolean> {
    const [kind, name] = subjectOf(subject);
    return this.scope.atomic(async (db) => {
      if (!await exists(db, kind, name)) throw new DirectoryConflictError(`no ${kind} ${name}`);
      const inserted = await db.insertInto('role_grants').values({ role, kind, subject: name }).onConflict((oc) => oc.doNothing()).executeTakeFirst();
      return count(inserted.numInsertedOrUpdatedRows) > 0;
    });
  }

  async revokeRole(role: string, subject: GrantSubject): Promise<boolean> {
    const [kind, name] = subjectOf(subject);
    const deleted = await this.scope.db.deleteFrom('role_grants').where('role', '=', role).where('kind', '=', kind)
      .where('subject', '=', name).executeTakeFirst();
    return count(deleted.numDeletedRows) > 0;
  }

  private async toGroup(db: StateDb, row: { name: string; description: string | null }): Promise<Group> {
    const members = await db.selectFrom('group_members').select('jid').where('group_name', '=', row.name).orderBy('jid').execute();
    const roles = await db.selectFrom('role_grants').select('role').where('kind', '=', 'group').where('subject', '=', row.name).orderBy('role').execute();
    return { name: row.name, description: row.description, members: members.map((m) => m.jid), roles: roles.map((r) => r.role) };
  }
}
