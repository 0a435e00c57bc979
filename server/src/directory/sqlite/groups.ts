// SQLite GroupDirectory: groups, their members, and roles granted to users or groups.

import type BetterSqlite3 from 'better-sqlite3';
import { DirectoryConflictError, type GrantSubject, type Group, type GroupDirectory } from '../types.ts';

interface GroupRow { name: string; description: string | null }

function subjectOf(subject: GrantSubject): ['user' | 'group', string] {
  return 'user' in subject ? ['user', subject.user] : ['group', subject.group];
}

export class SqliteGroupDirectory implements GroupDirectory {
  private readonly selectGroupsOf;
  private readonly selectHoldsRole;
  private readonly selectGroup;
  private readonly selectAllGroups;
  private readonly selectMembers;
  private readonly selectGroupRoles;
  private readonly insertGroup;
  private readonly deleteGroupRow;
  private readonly insertMember;
  private readonly deleteMember;
  private readonly accountExists;
  private readonly groupExists;
  private readonly insertGrant;
  private readonly deleteGrant;

  constructor(db: BetterSqlite3.Database) {
    this.selectGroupsOf = db.prepare<[string], string>('SELECT group_name FROM group_members WHERE jid = ? ORDER BY group_name').pluck();
    this.selectHoldsRole = db.prepare<[string, string, string, string], number>(
      `SELECT 1 FROM role_grants WHERE role = ? AND kind = 'user' AND subject = ?
       UNION ALL
       SELECT 1 FROM role_grants g JOIN group_members m ON g.kind = 'group' AND g.subject = m.group_name
        WHERE g.role = ? AND m.jid = ?
       LIMIT 1`,
    ).pluck();
    this.selectGroup = db.prepare<[string], GroupRow>('SELECT name, description FROM directory_groups WHERE name = ?');
    this.selectAllGroups = db.prepare<[], GroupRow>('SELECT name, description FROM directory_groups ORDER BY name');
    this.selectMembers = db.prepare<[string], string>('SELECT jid FROM group_members WHERE group_name = ? ORDER BY jid').pluck();
    this.selectGroupRoles = db.prepare<[string], string>(
      "SELECT role FROM role_grants WHERE kind = 'group' AND subject = ? ORDER BY role",
    ).pluck();
    this.insertGroup = db.prepare<[string, string | null]>(
      'INSERT INTO directory_groups (name, description) VALUES (?, ?) ON CONFLICT (name) DO NOTHING',
    );
    this.deleteGroupRow = db.prepare<[string]>('DELETE FROM directory_groups WHERE name = ?');
    this.insertMember = db.prepare<[string, string]>('INSERT INTO group_members (group_name, jid) VALUES (?, ?) ON CONFLICT DO NOTHING');
    this.deleteMember = db.prepare<[string, string]>('DELETE FROM group_members WHERE group_name = ? AND jid = ?');
    this.accountExists = db.prepare<[string], number>('SELECT 1 FROM accounts WHERE jid = ?').pluck();
    this.groupExists = db.prepare<[string], number>('SELECT 1 FROM directory_groups WHERE name = ?').pluck();
    this.insertGrant = db.prepare<[string, string, string]>('INSERT INTO role_grants (role, kind, subject) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
    this.deleteGrant = db.prepare<[string, string, string]>('DELETE FROM role_grants WHERE role = ? AND kind = ? AND subject = ?');
  }

  async of(jid: string): Promise<string[]> {
    return this.selectGroupsOf.all(jid);
  }

  async holdsRole(jid: string, role: string): Promise<boolean> {
    return this.selectHoldsRole.get(role, jid, role, jid) !== undefined;
  }

  async get(name: string): Promise<Group | null> {
    const row = this.selectGroup.get(name);
    return row ? this.toGroup(row) : null;
  }

  async list(): Promise<Group[]> {
    return this.selectAllGroups.all().map((row) => this.toGroup(row));
  }

  async create(name: string, description: string | null = null): Promise<boolean> {
    return this.insertGroup.run(name, description).changes > 0;
  }

  async delete(name: string): Promise<boolean> {
    return this.deleteGroupRow.run(name).changes > 0;
  }

  async addMember(group: string, jid: string): Promise<boolean> {
    if (this.groupExists.get(group) === undefined) throw new DirectoryConflictError(`no group ${group}`);
    if (this.accountExists.get(jid) === undefined) throw new DirectoryConflictError(`no user ${jid}`);
    return this.insertMember.run(group, jid).changes > 0;
  }

  async removeMember(group: string, jid: string): Promise<boolean> {
    return this.deleteMember.run(group, jid).changes > 0;
  }

  async grantRole(role: string, subject: GrantSubject): Promise<boolean> {
    const [kind, name] = subjectOf(subject);
    const exists = kind === 'user' ? this.accountExists.get(name) : this.groupExists.get(name);
    if (exists === undefined) throw new DirectoryConflictError(`no ${kind} ${name}`);
    return this.insertGrant.run(role, kind, name).changes > 0;
  }

  async revokeRole(role: string, subject: GrantSubject): Promise<boolean> {
    const [kind, name] = subjectOf(subject);
    return this.deleteGrant.run(role, kind, name).changes > 0;
  }

  private toGroup(row: GroupRow): Group {
    return {
      name: row.name, description: row.description,
      members: this.selectMembers.all(row.name), roles: this.selectGroupRoles.all(row.name),
    };
  }
}
