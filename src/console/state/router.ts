/**
 * Hash routing (`#/devices/ens1f0`): works behind any proxy path and needs nothing from the
 * server, which falls back to index.html for other paths anyway.
 */
import { useSyncExternalStore } from 'react';

function subscribe(fn: () => void): () => void {
  window.addEventListener('hashchange', fn);
  return () => window.removeEventListener('hashchange', fn);
}

function current(): string {
  const h = window.location.hash.replace(/^#/, '');
  return h.startsWith('/') ? h : `/${h}`;
}

/** The route as path segments: `#/devices/ens1f0` → ['devices', 'ens1f0']. */
export function useRoute(): string[] {
  const path = useSyncExternalStore(subscribe, current);
  return path.split('/').filter(Boolean).map(decodeURIComponent);
}

export function href(...segments: string[]): string {
  return `#/${segments.map(encodeURIComponent).join('/')}`;
}

export function navigate(...segments: string[]): void {
  window.location.hash = href(...segments).slice(1);
}
