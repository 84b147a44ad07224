/**
 * Reads a secret value for a command from standard input: a hidden prompt
 * on a terminal, else everything piped in (up to EOF, so a multi-line PEM
 * key arrives whole) with one trailing line ending removed, as `echo` and
 * `cat file` add one. Values read this way never show in shell history or
 * the process list.
 *
 * @module
 */
import { FaztError } from "../core/errors.ts";
import { formatBytes } from "../core/format.ts";
import { readPassword } from "./remote_commands.ts";

/** The most a piped value may hold; a larger input is refused, not cut. */
const MAX_STDIN_BYTES = 1024 * 1024;

/** Reads one value from standard input, prompting with `prompt` (hidden) on a terminal. */
export async function readStdinValue(prompt: string): Promise<string> {
  if (Deno.stdin.isTerminal()) return await readPassword(prompt);
  return trimLineEnding(await readAll(Deno.stdin.readable));
}

/** Removes one trailing `\n` or `\r\n`. */
export function trimLineEnding(text: string): string {
  return text.endsWith("\r\n") ? text.slice(0, -2) : text.endsWith("\n") ? text.slice(0, -1) : text;
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > MAX_STDIN_BYTES) {
      throw new FaztError(
        "invalid_input",
        `Standard input holds more than ${formatBytes(MAX_STDIN_BYTES)}; a value must be smaller.`,
      );
    }
    chunks.push(chunk);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return new TextDecoder().decode(all);
}
