/**
 * Looks into a running daemon's ledger database from outside, read-only, to place a kill where it
 * hurts: while a row is `attaching` or `detaching`, i.e. while the daemon is between its durable
 * reservation and the kernel work that completes it. Reads committed state only, as a second
 * process would, and never writes.
 */
import Database from 'better-sqlite3';

export class LedgerPeek {
  private readonly db: Database.Database;
  private readonly halfDone: Database.Statement;

  constructor(path: string) {
    this.db = new Database(path, { readonly: true, fileMustExist: true });
    this.halfDone = this.db.prepare(
      "SELECT count(*) AS n FROM attachments WHERE state IN ('attaching', 'detaching')",
    );
  }

  /** Committed rows in the middle of an attach or a detach. */
  halfDoneRows(): number {
    return (this.halfDone.get() as { n: number }).n;
  }

  close(): void {
    this.db.close();
  }
}
