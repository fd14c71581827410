/**
 * API tokens. The secret is shown once, at creation; the ledger keeps only its SHA-256. Secrets are
 * 32 random bytes, so a fast hash is enough: there is nothing to brute-force, unlike a password.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { appendAudit } from './audit.js';
import type { LedgerStore } from './store.js';
import type { TokenInput, TokenRecord } from './types.js';

const PREFIX = 'sriovctl_';

export function hashToken(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Creates a token; the returned secret is not stored anywhere. */
export async function createToken(
  store: LedgerStore,
  input: TokenInput,
  actor: string,
  now: string,
): Promise<{ token: TokenRecord; secret: string }> {
  const secret = PREFIX + randomBytes(32).toString('base64url');
  const token: TokenRecord = {
    id: randomUUID(),
    name: input.name,
    role: input.role,
    tenant: input.tenant ?? null,
    createdAt: now,
  };
  await store.mutate(async (tx) => {
    await tx.insertToken({ ...token, hash: hashToken(secret) });
    await appendAudit(
      tx,
      {
        actor,
        action: 'token.create',
        tenant: token.tenant,
        target: `token/${token.name}`,
        before: null,
        after: token,
        requestId: null,
      },
      now,
    );
  });
  return { token, secret };
}

/** The token a secret belongs to, or null. */
export async function authenticate(
  store: LedgerStore,
  secret: string,
): Promise<TokenRecord | null> {
  if (!secret.startsWith(PREFIX) || secret.length > 128) return null;
  const t = await store.findToken(hashToken(secret));
  if (!t) return null;
  const { hash: _hash, ...rest } = t;
  return rest;
}

/** Revokes a token by id; answers what it was, or null when there was none. */
export async function revokeToken(
  store: LedgerStore,
  id: string,
  actor: string,
  now: string,
  requestId: string | null = null,
): Promise<TokenRecord | null> {
  return store.mutate(async (tx) => {
    const all = await tx.listTokens();
    const t = all.find((x) => x.id === id);
    if (!t) return null;
    await tx.deleteToken(id);
    await appendAudit(
      tx,
      {
        actor,
        action: 'token.revoke',
        tenant: t.tenant,
        target: `token/${t.name}`,
        before: t,
        after: null,
        requestId,
      },
      now,
    );
    return t;
  });
}
