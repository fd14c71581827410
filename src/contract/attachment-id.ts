/**
 * How people see and type attachment IDs. An attachment ID is a UUIDv7, whose first 8 hex digits
 * are a timestamp: attachments made within a minute share them. The last 8 hex digits are random,
 * so they are the short form shown everywhere (CLI tables, the console) and one that a command
 * accepts in place of the full ID. Zod-free, so the console can load it.
 */

/** The short form of an attachment ID: its last 8 hex digits (the random part of a UUIDv7). */
export function shortAttachmentId(id: string): string {
  return id.replace(/-/g, '').slice(-8).toLowerCase();
}

/** The fewest hex digits a command accepts as a part of an attachment ID. */
export const MIN_ID_PART = 8;

/** A full attachment ID (a UUID), lower-cased, or null. */
export function fullAttachmentId(v: string): string | null {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v)
    ? v.toLowerCase()
    : null;
}

/** Whether `v` can stand for part of an ID: at least 8 hex digits, dashes where a UUID has them. */
export function isAttachmentIdPart(v: string): boolean {
  return /^[0-9a-f-]+$/i.test(v) && v.replace(/-/g, '').length >= MIN_ID_PART;
}

/**
 * The IDs among `ids` that `part` (a full ID, or 8 or more of its first or last hex digits, with
 * or without the dashes) stands for.
 */
export function matchAttachmentIds(part: string, ids: readonly string[]): string[] {
  const p = part.toLowerCase();
  const bare = p.replace(/-/g, '');
  return ids.filter((id) => {
    const i = id.toLowerCase();
    const b = i.replace(/-/g, '');
    return i === p || i.startsWith(p) || i.endsWith(p) || b.startsWith(bare) || b.endsWith(bare);
  });
}
