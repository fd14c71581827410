/** The operator's terminal: the y/N questions the CLI asks before disruptive changes. */

/** A y/N question on the terminal (default no). */
export async function askOnTerminal(question: string): Promise<boolean> {
  // Loaded on first use: most runs never ask.
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}
