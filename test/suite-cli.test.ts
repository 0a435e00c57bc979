// The `parley` CLI for the suite directory (domain, user, group, role commands), sharing the admin
// service with the admin API. A running server on the same data folder acts on the changes at once:
// they reach it through the database's event log (polled every directory.eventPollMs).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from './helpers/server.ts';
import { login, xml } from './helpers/clients.ts';
import { createUsers, online, passwordOf } from './helpers/im.ts';
import { passwordRefusal, startSuiteServer, streamErrorOf } from './helpers/suite.ts';
import { storageEnv } from './helpers/test-storage.ts';

describe('the parley CLI on a running server (changes arrive through the event log)', () => {
  const parley = join(import.meta.dirname, '../server/bin/parley.js');
  let server: TestServer;
  beforeAll(async () => { server = await startSuiteServer(); });
  afterAll(() => server.stop());
  // the CLI on the server's state stores (PARLEY_TEST_STORAGE=postgres: its database, not the data folder's SQLite file)
  const run = (...args: string[]) => spawnSync(process.execPath, [parley, '--data', server.dataDir, ...args],
    { encoding: 'utf8', input: '', env: storageEnv(server.storage) });

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

  it("sets a domain's federation policy, which the running server follows at once", async () => {
    const [rayJid] = await createUsers(server, ['ray']);
    const ray = await login(server, rayJid!, passwordOf(rayJid!));
    const set = run('domain', 'federation', 'example.com', '--deny', 'evil.example, worse.example', '--certificates', 'require-valid');
    expect(set.status, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({ enabled: true, certificates: 'require-valid', allow: [], deny: ['evil.example', 'worse.example'] });
    // the refusal names the policy (a domain that is merely unreachable says so instead)
    await expect.poll(async () => {
      const bounce = ray.next((s) => s.is('message') && s.attrs.type === 'error');
      await ray.xmpp.send(xml('message', { to: 'mallory@evil.example' }, xml('body', {}, 'hello?')));
      return (await bounce).getChild('error')?.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas');
    }, { timeout: 5000 }).toBe('example.com does not federate with evil.example');
    expect(run('domain', 'federation', 'example.com', '--on', '--off').stderr).toContain('give --on or --off, not both');
    expect(JSON.parse(run('domain', 'federation', 'example.com', '--deny', '', '--certificates', 'default').stdout)).toMatchObject({ deny: [], certificates: 'default' });
    await ray.stop();
  }, 60_000);

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
