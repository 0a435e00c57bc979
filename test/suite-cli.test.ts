// The `parley` CLI for the suite directory (domain, user, group, role commands), sharing the admin
// service with the admin API. A running server on the same data folder acts on the changes at once:
// they reach it through the database's event log (polled every directory.eventPollMs).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from './helpers/server.ts';
import { login } from './helpers/clients.ts';
import { createUsers, online, passwordOf } from './helpers/im.ts';
import { passwordRefusal, startSuiteServer, streamErrorOf } from './helpers/suite.ts';

describe('the parley CLI on a running server (changes arrive through the event log)', () => {
  const parley = join(import.meta.dirname, '../server/bin/parley.js');
  let server: TestServer;
  beforeAll(async () => { server = await startSuiteServer(); });
  afterAll(() => server.stop());
  const run = (...args: string[]) => spawnSync(process.execPath, [parley, '--data', server.dataDir, ...args], { encoding: 'utf8', input: '' });

  it('restricts a domain, grants the role through a group, and revokes it live', async () => {
    const [paulJid] = await createUsers(server, ['paul']);
    const setUp = run('domain', 'im', 'access', 'example.com', 'restricted');
    expect(setUp.status, setUp.stderr).toBe(0);
    expect(JSON.parse(setUp.stdout)).toMatchObject({ access: 'restricted', enabled: true });
    expect(await passwordRefusal(server, paulJid!, passwordOf(paulJid!))).toEqual({ condition: 'not-authorized', text: 'instant messaging is not enabled for this account' });

    expect(run('group', 'add', 'drivers').stdout).toContain('group drivers added');
    expect(run('group', 'member', 'add', 'drivers', paulJid!).status).toBe(0);
    expect(run('role', 'grant', 'im', '--group', 'drivers').stdout).toContain('role im granted to group drivers');
    const paul = await online(server, paulJid!);

    const gone = streamErrorOf(paul);
    expect(run('role', 'revoke', '--group', 'drivers').stdout).toContain('role im revoked from group drivers');
    expect(await gone).toEqual({ condition: 'not-authorized', text: 'instant messaging is not enabled for this account' });

    const shown = run('user', 'show', paulJid!);
    expect(JSON.parse(shown.stdout)).toMatchObject({ jid: paulJid, groups: ['drivers'], roles: [] });
    expect(run('role', 'grant', '--user', paulJid!, '--group', 'drivers').stderr).toContain('name exactly one of --user <jid> or --group <name>');
    expect(run('domain', 'im', 'access', 'example.com', 'everyone').status).toBe(0);
  }, 60_000); // eight CLI processes in a row (each ~1 s of CPU to start; 4 s apiece on two busy cores)

  it('adds a domain with an alias that a running server serves without restart', async () => {
    const added = run('domain', 'add', 'cli.example', '--alias', 'im.cli.example');
    expect(added.stdout).toContain('domain cli.example added');
    await expect.poll(() => server.server.hosts.has('im.cli.example'), { timeout: 3000 }).toBe(true);
    const created = run('user', 'add', 'quinn@im.cli.example', '--password', 'quinn-secret');
    expect(created.stdout).toContain('user quinn@cli.example added');
    const quinn = await login(server, 'quinn@im.cli.example', 'quinn-secret');
    expect(quinn.jid.startsWith('quinn@cli.example/')).toBe(true);
    const gone = streamErrorOf(quinn);
    expect(run('user', 'disable', 'quinn@cli.example').stdout).toContain('user quinn@cli.example disabled');
    expect(await gone).toEqual({ condition: 'not-authorized', text: 'this account is disabled' });
  });
});
