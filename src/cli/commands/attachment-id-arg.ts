/**
 * Attachment IDs as operators type them: the full UUID, or 8 or more of its last (or first) hex
 * digits, as `sriovctl attachments` shows them. A part is looked up among the attachments the
 * caller's token may see, so a tenant's part never matches, or names, another tenant's.
 */
import {
  fullAttachmentId,
  isAttachmentIdPart,
  matchAttachmentIds,
  problemOf,
  shortAttachmentId,
  type Attachment,
  type ListOf,
} from '../../contract/index.js';
import { ApiProblemError, type ApiClient } from '../api-client.js';
import { UsageError } from '../exit-codes.js';

/** What one argument stands for: an attachment ID, or the reason it names none (exit 1). */
export type ResolvedId = { id: string } | { missing: ApiProblemError };

/**
 * Resolves each argument to one attachment ID. Refuses (exit 64) an argument that is not an ID or
 * a part of one, and a part that matches several attachments, naming their short IDs; a part that
 * matches none is answered like an unknown ID (not found, exit 1), so the caller may go on.
 */
export async function resolveAttachmentIds(
  api: ApiClient,
  args: readonly string[],
): Promise<ResolvedId[]> {
  let known: string[] | undefined;
  const ids = async (): Promise<string[]> => {
    known ??= (await api.get<ListOf<Attachment>>('/attachments')).items.map((a) => a.id);
    return known;
  };
  const out: ResolvedId[] = [];
  for (const arg of args) {
    const full = fullAttachmentId(arg);
    if (full !== null) {
      out.push({ id: full });
      continue;
    }
    if (!isAttachmentIdPart(arg))
      throw new UsageError(
        `${JSON.stringify(arg)} is not an attachment ID (a UUID), nor 8 or more of its last or first hex digits`,
        '`sriovctl attachments` shows the IDs',
      );
    const found = matchAttachmentIds(arg, await ids());
    if (found.length === 1) out.push({ id: found[0]! });
    else if (found.length === 0)
      out.push({
        missing: new ApiProblemError(
          problemOf('not-found', `no attachment ID starts or ends with ${arg.toLowerCase()}`, {
            fix: '`sriovctl attachments` shows the IDs you may use',
          }),
        ),
      });
    else
      throw new UsageError(
        `${JSON.stringify(arg)} matches ${found.length} attachments: ${found.map(shortAttachmentId).join(', ')}`,
        'give more digits, or the full ID (`sriovctl attachments --wide` shows it)',
      );
  }
  return out;
}
