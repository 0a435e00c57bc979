// The per-server secret dialback keys are derived from (XEP-0185 §3). Made once (32 random bytes) and
// kept, so keys stay valid across restarts and every node that shares the state derives the same
// keys: a peer may ask any node to verify a key another node generated (XEP-0220 §2.3).
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { privateDirectory } from '../storage/private-files.ts';

const FILE = 'dialback.secret';

/** The secret in the data folder; the first process to start writes it (exclusively), the others read it. */
export function serverSecret(dataDir: string): string {
  privateDirectory(dataDir);
  const path = join(dataDir, FILE);
  try {
    writeFileSync(path, randomBytes(32).toString('hex'), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const secret = readFileSync(path, 'utf8').trim();
  if (secret.length < 32) throw new Error(`${path} holds no usable secret; remove it to make a new one`);
  return secret;
}
