// `parley domain …`, `parley user …`, `parley group …`, `parley role …`: the suite directory from the
// command line, through the same admin service as the admin API. A running server on the same data
// folder picks the changes up within config.directory.eventPollMs (the event log).
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command } from 'commander';
import type { AdminService } from '../admin/service.ts';
import type { AddressCard } from '../directory/types.ts';
import { AdminError } from './accounts.ts';

export type WithAdmin = (work: (admin: AdminService) => Promise<void>) => Promise<void>;

interface SubjectOptions { user?: string; group?: string }
interface FederationOptions { on?: boolean; off?: boolean; certificates?: string; allow?: string; deny?: string }

function subject(options: SubjectOptions): { user: string } | { group: string } {
  if (options.user && !options.group) return { user: options.user };
  if (options.group && !options.user) return { group: options.group };
  throw new AdminError('name exactly one of --user <jid> or --group <name>');
}

const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));
const collect = (value: string, previous: string[] = []) => [...previous, value];

const IMAGE_TYPES: Record<string, string> = {
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp',
};

export function registerDirectoryCommands(program: Command, domain: Command, user: Command, withAdmin: WithAdmin): void {
  // ---- domains ----
  domain.command('show <domain>').description('aliases and IM settings of a domain (JSON)').action((name: string) =>
    withAdmin(async (admin) => print(await admin.getDomain(name))));
  domain.command('del <domain>').description('stop serving a domain (its sessions end with host-gone)').action((name: string) =>
    withAdmin(async (admin) => {
      await admin.removeDomain(name);
      console.log(`domain ${name} removed`);
    }));
  const alias = domain.command('alias').description('other names of a domain (alice@alias is alice@domain)');
  alias.command('add <domain> <alias>').action((name: string, other: string) =>
    withAdmin(async (admin) => {
      await admin.addAlias(name, other);
      console.log(`${other} is now an alias of ${name}`);
    }));
  alias.command('del <domain> <alias>').action((name: string, other: string) =>
    withAdmin(async (admin) => {
      await admin.removeAlias(name, other);
      console.log(`${other} is no longer an alias of ${name}`);
    }));
  const im = domain.command('im').description("a domain's instant messaging settings");
  im.command('enable <domain>').action((name: string) =>
    withAdmin(async (admin) => print((await admin.setDomainIm(name, { enabled: true })).im)));
  im.command('disable <domain>').description('turn IM off for the domain (its sessions end)').action((name: string) =>
    withAdmin(async (admin) => print((await admin.setDomainIm(name, { enabled: false })).im)));
  im.command('access <domain> <mode>').description("'everyone', or 'restricted': the IM role (and the allow-list, if any) is needed")
    .action((name: string, mode: string) => withAdmin(async (admin) => {
      if (mode !== 'everyone' && mode !== 'restricted') throw new AdminError("the access mode is 'everyone' or 'restricted'");
      print((await admin.setDomainIm(name, { access: mode })).im);
    }));
  for (const [verb, allowed] of [['allow', true], ['disallow', false]] as const) {
    im.command(`${verb} <domain>`).description(`${allowed ? 'add a user or group to' : 'remove a user or group from'} the IM allow-list`)
      .option('--user <jid>').option('--group <name>')
      .action((name: string, options: SubjectOptions) => withAdmin(async (admin) =>
        print((await admin.setDomainImAllowed(name, subject(options), allowed)).im)));
  }

  // ---- federation (s2s/) ----
  domain.command('federation <domain>').description("a domain's federation: on/off, certificate policy, allow and deny lists (JSON)")
    .option('--on', 'federate with other servers').option('--off', 'no federation: stanzas to other domains bounce, peers are refused')
    .option('--certificates <policy>', "'require-valid', 'allow-dialback' or 'default' (the server's s2s.certificates)")
    .option('--allow <domains>', 'comma-separated: only these remote domains (and subdomains); "" clears the list')
    .option('--deny <domains>', 'comma-separated: never these remote domains (and subdomains); "" clears the list')
    .action((name: string, options: FederationOptions) => withAdmin(async (admin) => {
      if (options.on && options.off) throw new AdminError('give --on or --off, not both');
      const certificates = options.certificates;
      if (certificates !== undefined && certificates !== 'default' && certificates !== 'allow-dialback' && certificates !== 'require-valid') {
        throw new AdminError("the certificate policy is 'require-valid', 'allow-dialback' or 'default'");
      }
      const list = (value: string | undefined) => (value === undefined ? undefined : value.split(',').map((entry) => entry.trim()).filter(Boolean));
      print((await admin.setDomainFederation(name, {
        enabled: options.on ? true : options.off ? false : undefined, certificates, allow: list(options.allow), deny: list(options.deny),
      })).federation);
    }));

  // ---- users ----
  user.command('show <jid>').description('a user as the directory knows them (JSON)').action((jid: string) =>
    withAdmin(async (admin) => print(await admin.getUser(jid))));
  user.command('list <domain>').description("a domain's users").action((name: string) =>
    withAdmin(async (admin) => {
      for (const entry of await admin.listUsers(name)) console.log(`${entry.jid}${entry.enabled ? '' : ' (disabled)'}`);
    }));
  for (const [verb, enabled] of [['enable', true], ['disable', false]] as const) {
    user.command(`${verb} <jid>`).description(enabled ? 'let the user log in again' : 'refuse logins and end the live sessions')
      .action((jid: string) => withAdmin(async (admin) => {
        await admin.updateUser(jid, { enabled });
        console.log(`user ${jid} ${verb}d`);
      }));
  }
  user.command('rename <jid> <name>').description('set the display name').action((jid: string, name: string) =>
    withAdmin(async (admin) => {
      await admin.updateUser(jid, { displayName: name === '' ? null : name });
      console.log(`display name of ${jid} set`);
    }));
  // XEP-0484: the sign-in tokens clients keep instead of the password ("stay signed in").
  const tokens = user.command('tokens').description("a user's sign-in tokens (FAST): which clients stay signed in");
  tokens.command('list <jid>').description('the valid tokens and the clients holding them (JSON)').action((jid: string) =>
    withAdmin(async (admin) => print(await admin.listTokens(jid))));
  tokens.command('revoke <jid> [client]').description("revoke one client's tokens (by its id from list), or all; the client signs in with its password again")
    .action((jid: string, client: string | undefined) =>
      withAdmin(async (admin) => {
        const revoked = await admin.revokeTokens(jid, client);
        console.log(`${revoked} token${revoked === 1 ? '' : 's'} of ${jid}${client ? ` for client ${client}` : ''} revoked`);
      }));

  const email = user.command('email').description("a user's email addresses besides the JID");
  email.command('add <jid> <address>').action((jid: string, address: string) =>
    withAdmin(async (admin) => print((await admin.addEmail(jid, address)).emails)));
  email.command('del <jid> <address>').action((jid: string, address: string) =>
    withAdmin(async (admin) => print((await admin.removeEmail(jid, address)).emails)));
  user.command('card <jid>').description('set the address-book card (replaces it; fields left out are empty)')
    .option('--fn <text>', 'full name').option('--given <text>').option('--family <text>')
    .option('--org <text>').option('--unit <text>').option('--title <text>')
    .option('--tel <number>', 'a phone number (repeatable)', collect).option('--email <address>', 'an email address (repeatable)', collect)
    .action((jid: string, options: { fn?: string; given?: string; family?: string; org?: string; unit?: string; title?: string; tel?: string[]; email?: string[] }) =>
      withAdmin(async (admin) => {
        const card: AddressCard = {};
        if (options.fn) card.fn = options.fn;
        if (options.given || options.family) card.n = { given: options.given ?? '', family: options.family ?? '' };
        if (options.org || options.unit) card.org = { name: options.org ?? '', unit: options.unit ?? '' };
        if (options.title) card.title = options.title;
        if (options.tel) card.tels = options.tel.map((number) => ({ number, types: ['WORK', 'VOICE'] }));
        if (options.email) card.emails = options.email.map((address) => ({ address, types: ['INTERNET'] }));
        await admin.setCard(jid, card);
        print(await admin.getCard(jid));
      }));
  user.command('photo <jid> [file]').description('set the directory photo from an image file (contacts see it at once)')
    .option('--type <mime>', 'image type (default: from the file name)').option('--remove', 'remove the photo')
    .action((jid: string, file: string | undefined, options: { type?: string; remove?: boolean }) =>
      withAdmin(async (admin) => {
        if (options.remove) return void console.log(`photo of ${jid} removed (${await admin.setPhoto(jid, null) || 'no hash'})`);
        if (!file) throw new AdminError('give an image file, or --remove');
        const type = options.type ?? IMAGE_TYPES[extname(file).toLowerCase()];
        if (!type) throw new AdminError('unknown image type: give --type image/…');
        console.log(`photo of ${jid} set (SHA-1 ${await admin.setPhoto(jid, { type, data: readFileSync(file) })})`);
      }));

  // ---- groups ----
  const group = program.command('group').description('manage groups (members get the roles granted to the group)');
  group.command('add <name>').option('--description <text>').action((name: string, options: { description?: string }) =>
    withAdmin(async (admin) => {
      console.log((await admin.createGroup(name, options.description ?? null)) ? `group ${name} added` : `group ${name} already exists`);
    }));
  group.command('del <name>').action((name: string) => withAdmin(async (admin) => {
    await admin.deleteGroup(name);
    console.log(`group ${name} deleted`);
  }));
  group.command('list').action(() => withAdmin(async (admin) => {
    for (const entry of await admin.listGroups()) console.log(`${entry.name} (${entry.members.length} members${entry.roles.length ? `; roles: ${entry.roles.join(', ')}` : ''})`);
  }));
  group.command('show <name>').action((name: string) => withAdmin(async (admin) => print(await admin.getGroup(name))));
  group.command('room <name> [room]').description("give the group a room (room@conference.<domain>): its members become the room's members; --remove takes it away")
    .option('--remove').action((name: string, room: string | undefined, options: { remove?: boolean }) => withAdmin(async (admin) => {
      if (!options.remove && !room) throw new AdminError('name the room (room@service) or --remove');
      const result = await admin.setGroupRoom(name, options.remove ? null : room!);
      console.log(result.room ? `group ${name} has the room ${result.room}` : `group ${name} has no room`);
    }));
  const member = group.command('member').description("a group's members");
  member.command('add <group> <jid>').action((name: string, jid: string) => withAdmin(async (admin) => {
    await admin.addMember(name, jid);
    console.log(`${jid} added to ${name}`);
  }));
  member.command('del <group> <jid>').action((name: string, jid: string) => withAdmin(async (admin) => {
    await admin.removeMember(name, jid);
    console.log(`${jid} removed from ${name}`);
  }));

  // ---- roles ----
  const role = program.command('role').description("grant or revoke roles ('im': may use instant messaging)");
  for (const [verb, grant, done] of [['grant', true, 'granted'], ['revoke', false, 'revoked']] as const) {
    role.command(`${verb} [role]`).description(`${verb} a role (default: im) ${grant ? 'to' : 'from'} a user or a group`)
      .option('--user <jid>').option('--group <name>')
      .action((name: string | undefined, options: SubjectOptions) => withAdmin(async (admin) => {
        const target = subject(options);
        const changed = grant ? await admin.grantRole(name ?? 'im', target) : await admin.revokeRole(name ?? 'im', target);
        const who = 'user' in target ? target.user : `group ${target.group}`;
        console.log(changed ? `role ${name ?? 'im'} ${done} ${grant ? 'to' : 'from'} ${who}` : `nothing to ${verb}`);
      }));
  }
}
