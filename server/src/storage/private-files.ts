// The data folder holds password verifiers, the archive and TLS private keys: only the server's own
// user may read it. New folders are made 0700 and new files 0600; existing ones are tightened on
// start (group and other permissions dropped), as far as the server may change them.
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';

const GROUP_AND_OTHER = 0o077;

/** Create `dir` (and parents) as 0700, or take group/other access away from an existing one. */
export function privateDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  tighten(dir);
}

/** Create `file` empty as 0600 if missing, or take group/other access away from it. */
export function privateFile(file: string): void {
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    tighten(file);
  }
}

/** Take group/other access away from `path` if it exists. */
export function tighten(path: string): void {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  // a shared sticky folder (dataDir set to /tmp…) is not ours to close
  if ((mode & GROUP_AND_OTHER) === 0 || (mode & 0o1000) !== 0) return;
  try {
    chmodSync(path, mode & 0o7777 & ~GROUP_AND_OTHER);
  } catch (error) {
    // owned by another user: leave it (the admin chose that layout)
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
  }
}
