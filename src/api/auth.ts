/**
 * Who is calling: a bearer token (looked up by its hash) on TCP, or local root on the unix socket
 * (whose file permissions already decided who may connect). Roles nest: viewer < operator < admin.
 * A tenant-scoped principal sees and acts on its own tenant only; other tenants' things answer
 * 404, as if they did not exist.
 */
import type { FastifyRequest } from 'fastify';
import { LedgerError } from '../ledger/errors.js';
import type { Actor, Ledger, LedgerEvent } from '../ledger/ledger.js';
import type { Role } from '../ledger/types.js';

export interface Principal {
  name: string;
  role: Role;
  tenant: string | null;
  /** The token that authenticated the request (none for local root and loopback scrapes). */
  tokenId?: string;
}

export const LOCAL_ROOT: Principal = { name: 'local-root', role: 'admin', tenant: null };

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export function atLeast(p: Principal, role: Role): boolean {
  return RANK[p.role] >= RANK[role];
}

export function actorOf(p: Principal): Actor {
  return { name: p.name, tenant: p.tenant };
}

/** The principal for a request, or null when its credentials are missing or wrong. */
export async function principalOf(
  req: FastifyRequest,
  ledger: Pick<Ledger, 'authenticate'>,
): Promise<Principal | null> {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return null;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  if (!m) return null;
  const t = await ledger.authenticate(m[1]!);
  return t ? { name: t.name, role: t.role, tenant: t.tenant, tokenId: t.id } : null;
}

/**
 * Why a ledger change takes away what `p` was let in with (its token revoked, its tenant deleted),
 * or null when it does not. Requests authenticate one by one; this is for what stays open.
 */
export function credentialsGone(p: Principal, e: LedgerEvent): string | null {
  if (e.kind === 'token' && p.tokenId !== undefined && e.token.id === p.tokenId)
    return `token ${e.token.name} was revoked`;
  if (e.kind === 'tenant' && e.action === 'delete' && p.tenant === e.name)
    return `tenant ${e.name} was deleted`;
  return null;
}

/** A preHandler that refuses the request unless the principal has at least `role`. */
export function requireRole(role: Role) {
  return async (req: FastifyRequest): Promise<void> => {
    if (!atLeast(req.principal, role))
      throw new LedgerError(
        'forbidden',
        `${req.principal.name} is ${req.principal.role}${req.principal.tenant ? ` of tenant ${req.principal.tenant}` : ''}; this needs ${role}`,
      );
  };
}
