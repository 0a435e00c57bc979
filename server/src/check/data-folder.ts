// The data folder holds password verifiers, the archive and TLS keys (storage/private-files.ts):
// only the server's user may read it. The server tightens what it can at start; this says what it
// could not, and what a copy or a restore left open.
import { accessSync, constants, readdirSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { DB_FILENAME } from '../storage/sqlite/database.ts';
import { Findings } from './finding.ts';

const GROUP_AND_OTHER = 0o077;

export function checkDataFolder(dataDir: string): Findings {
  const found = new Findings('data');
  const folder = statOf(dataDir);
  if (!folder) {
    found.note(`${dataDir} does not exist yet: the server creates it (mode 0700) at its first start`);
    return found;
  }
  if (!folder.isDirectory()) {
    found.problem(`${dataDir} is not a folder`, 'point --data (or PARLEY_DATA, dataDir) at a folder');
    return found;
  }
  try {
    accessSync(dataDir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch {
    found.problem(`${dataDir} is not writable by this user (uid ${process.getuid?.()})`,
      `run parley as the folder's owner (uid ${folder.uid}), or chown the folder to the server's user`);
  }
  if (process.getuid && folder.uid !== process.getuid()) {
    found.warning(`${dataDir} belongs to uid ${folder.uid}, not to this user (uid ${process.getuid()})`,
      'run the check as the user the server runs as (e.g. sudo -u parley parley check)');
  }
  const sticky = (folder.mode & 0o1000) !== 0;
  if ((folder.mode & GROUP_AND_OTHER) !== 0 && !sticky) {
    found.problem(`${dataDir} is open to other users (mode ${octal(folder.mode)})`, `chmod 700 ${dataDir}`);
  }
  let open = 0;
  for (const file of privateFiles(dataDir)) {
    const stats = statOf(file);
    if (!stats || (stats.mode & GROUP_AND_OTHER) === 0) continue;
    open++;
    found.problem(`${file} is readable by other users (mode ${octal(stats.mode)})`, `chmod 600 ${file}`);
  }
  if (open === 0 && ((folder.mode & GROUP_AND_OTHER) === 0 || sticky)) found.ok(`${dataDir}: the folder and its database and key files are private to their owner`);
  if (!statOf(join(dataDir, DB_FILENAME))) found.note(`${dataDir} has no ${DB_FILENAME} yet: it is created at the first start`);
  return found;
}

/** The database files (and their WAL files) and the TLS private keys. */
function privateFiles(dataDir: string): string[] {
  const files: string[] = [];
  for (const name of safeList(dataDir)) {
    if (/\.db(-wal|-shm)?$/.test(name)) files.push(join(dataDir, name));
  }
  const certs = join(dataDir, 'certs');
  const walk = (dir: string, depth: number) => {
    for (const name of safeList(dir)) {
      const path = join(dir, name);
      if (name.endsWith('.key') || name === 'privkey.pem') files.push(path);
      else if (depth < 2 && statOf(path)?.isDirectory()) walk(path, depth + 1);
    }
  };
  walk(certs, 0);
  return files;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function statOf(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`;
}
