import { createInterface } from 'node:readline';
import type { Io } from './io.ts';

/** Asks on the terminal and resolves true only when the answer is exactly `yes`. */
export async function askConfirmation(io: Io, question: string): Promise<boolean> {
  const lines = createInterface({ input: io.stdin, terminal: false });
  io.stdout.write(question);
  try {
    for await (const line of lines) return line.trim() === 'yes';
    return false;
  } finally {
    lines.close();
  }
}
