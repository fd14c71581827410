/**
 * The session: the pasted token (kept in sessionStorage, so it dies with the tab), who it is
 * (GET /whoami: name, role, tenant, host) and an `api` function that sends it. A token the API
 * stops accepting (revoked, tenant deleted) ends the session with a message on the login page.
 */
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { request, type Api, type RequestOptions } from '../api/client.js';
import type { Role, WhoAmI } from '../../contract/index.js';
import { ApiError } from '../lib/problem.js';

const STORAGE_KEY = 'sriovctl.token';

export interface Session {
  token: string;
  me: WhoAmI;
  api: Api;
  logout: (message?: string) => void;
}

interface SessionState {
  session: Session | null;
  /** Why the last session ended or a login failed. */
  message: string | null;
  login: (token: string) => Promise<void>;
  /** True while a stored token is being checked at startup. */
  restoring: boolean;
  restore: () => Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [auth, setAuth] = useState<{ token: string; me: WhoAmI } | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [restoring, setRestoring] = useState(() => storedToken() !== null);

  const logout = useCallback((why?: string) => {
    sessionStorage.removeItem(STORAGE_KEY);
    setAuth(null);
    setMessage(why ?? null);
  }, []);

  const login = useCallback(async (raw: string) => {
    const token = raw.trim();
    if (!token) throw new Error('paste a token');
    const me = await request<WhoAmI>(token, 'GET', '/whoami');
    sessionStorage.setItem(STORAGE_KEY, token);
    setMessage(null);
    setAuth({ token, me });
  }, []);

  const restore = useCallback(async () => {
    const token = storedToken();
    if (!token) {
      setRestoring(false);
      return;
    }
    try {
      const me = await request<WhoAmI>(token, 'GET', '/whoami');
      setAuth({ token, me });
    } catch (err) {
      sessionStorage.removeItem(STORAGE_KEY);
      setMessage(
        err instanceof ApiError ? `${err.problem.title}: ${err.problem.detail}` : String(err),
      );
    } finally {
      setRestoring(false);
    }
  }, []);

  const session = useMemo<Session | null>(() => {
    if (!auth) return null;
    const api: Api = async <T,>(method: string, path: string, opts?: RequestOptions) => {
      try {
        return await request<T>(auth.token, method, path, opts);
      } catch (err) {
        if (err instanceof ApiError && err.status === 401)
          logout(`The API no longer accepts this token: ${err.problem.detail}`);
        throw err;
      }
    };
    return { token: auth.token, me: auth.me, api, logout };
  }, [auth, logout]);

  const value = useMemo(
    () => ({ session, message, login, restoring, restore }),
    [session, message, login, restoring, restore],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSessionState(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSessionState outside SessionProvider');
  return s;
}

/** The logged-in session (pages render only inside one). */
export function useSession(): Session {
  const s = useSessionState().session;
  if (!s) throw new Error('useSession without a session');
  return s;
}

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

/** What the caller may do: the API enforces it; the console hides what would be refused. */
export function can(me: WhoAmI, role: Role): boolean {
  return RANK[me.role] >= RANK[role];
}

/** Inventory, capacity, doctor and policies are host-wide: not for tenant-scoped tokens. */
export function seesHost(me: WhoAmI): boolean {
  return me.tenant === null;
}
