/**
 * Who owns a local lane: the git author configured for the project (`user.name <user.email>`), else the
 * OS user. Never throws.
 */
import { userInfo } from 'node:os';
import { git } from './git.js';

/** The owner recorded for lanes deployed from `root`. */
export async function localOwner(root: string): Promise<string> {
  const [name, email] = await Promise.all([
    git(root, ['config', 'user.name']).catch(() => ''),
    git(root, ['config', 'user.email']).catch(() => ''),
  ]);
  if (name.trim() && email.trim()) return `${name.trim()} <${email.trim()}>`;
  if (name.trim() || email.trim()) return (name || email).trim();
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
