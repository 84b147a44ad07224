/**
 * Command-line argument parsing: positionals and `--flag value`,
 * `--flag=value`, boolean `--flag`, repeated flags, and `--` to end flags.
 *
 * @module
 */
import { FaztError } from "../core/errors.ts";

/** Parsed arguments. */
export interface ParsedArgs {
  /** Arguments that are not flags, in order. */
  positionals: string[];
  /** Flag values by name (without dashes); booleans hold `"true"`. */
  flags: Map<string, string[]>;
}

/**
 * Parses `argv`. Flags named in `booleans` take no value; every other flag
 * takes the next argument (or the part after `=`).
 */
export function parseArgs(argv: readonly string[], booleans: ReadonlySet<string>): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string[]>();
  const add = (k: string, v: string) => flags.set(k, [...(flags.get(k) ?? []), v]);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "-h") {
      add("help", "true");
    } else if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      if (booleans.has(name)) {
        add(name, eq === -1 ? "true" : arg.slice(eq + 1));
      } else if (eq !== -1) {
        add(name, arg.slice(eq + 1));
      } else if (i + 1 < argv.length) {
        add(name, argv[++i]);
      } else {
        throw new FaztError("invalid_input", `The flag --${name} needs a value.`);
      }
    } else {
      positionals.push(arg);
    }
  }
  return { positionals, flags };
}

/** The last value of a flag, if given. */
export function flag(args: ParsedArgs, name: string): string | undefined {
  return args.flags.get(name)?.at(-1);
}

/** True when a boolean flag is set. */
export function boolFlag(args: ParsedArgs, name: string): boolean {
  const v = flag(args, name);
  return v !== undefined && v !== "false";
}
