/**
 * The one executor every transport calls: validate the input, authorize
 * the caller, run the handler, validate (and strip) the output. Transports
 * only decode and encode.
 *
 * @module
 */
import { z } from "zod";
import { FaztError, toFaztError } from "../core/errors.ts";
import { hasScope } from "../services/auth/scopes.ts";
import type { AnyOperation, OperationContext } from "./operation.ts";
import type { Principal } from "../services/auth/scopes.ts";
import { protoKeyPath } from "./json_input.ts";

/** Summarises zod issues as `{ path, message }` pairs for error details. */
export function describeIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
}

/**
 * The `unauthorized` error for an anonymous caller: one that sent no
 * credentials is told to send a token; one whose token was refused is told
 * that token is unknown, expired or revoked.
 */
export function credentialsError(p: Principal): FaztError {
  return p.rejected
    ? new FaztError(
      "unauthorized",
      "This token is not valid: it is unknown, expired or revoked. Use a current token (`fazt token list` shows them; `fazt token create` makes one), or `fazt login` again.",
      { details: { reason: "invalid_token" } },
    )
    : new FaztError(
      "unauthorized",
      "This needs credentials. Send `Authorization: Bearer <token>` (the local owner token is in <data>/owner.token).",
      { details: { reason: "no_credentials" } },
    );
}

/** Throws `unauthorized`/`forbidden` unless the caller may run `op` on `input`. */
export function authorize(op: AnyOperation, ctx: OperationContext, input: unknown): void {
  if (op.access === "public") return;
  const p = ctx.principal;
  if (p.kind === "anonymous") throw credentialsError(p);
  if (!hasScope(p, op.access)) {
    throw new FaztError(
      "forbidden",
      `This token lacks the "${op.access}" scope needed for ${op.name}. Create a token with that scope.`,
      { details: { operation: op.name, scope: op.access } },
    );
  }
  if (p.apps && !p.scopes.has("admin") && !op.filtersByApp) {
    const ref = op.appField ? (input as Record<string, unknown>)[op.appField] : undefined;
    if (typeof ref !== "string") {
      throw new FaztError(
        "forbidden",
        `This token is limited to some apps and cannot run ${op.name}, which is not about one app.`,
        { details: { operation: op.name } },
      );
    }
    const app = ctx.services.apps.resolve(ref);
    if (!p.apps.has(app.id)) {
      throw new FaztError("forbidden", `This token is not allowed to act on the app "${ref}".`, {
        details: { operation: op.name, app: ref },
      });
    }
  }
}

/** Runs an operation for a caller. Always throws `FaztError` on failure. */
export async function execute(
  op: AnyOperation,
  rawInput: unknown,
  ctx: OperationContext,
): Promise<unknown> {
  try {
    if (op.access !== "public" && ctx.principal.kind === "anonymous") authorize(op, ctx, rawInput);
    const poisoned = protoKeyPath(rawInput);
    if (poisoned !== undefined) {
      throw new FaztError(
        "invalid_input",
        `Invalid input for ${op.name}: the key "__proto__"${
          poisoned ? ` (in "${poisoned}")` : ""
        } is not allowed.`,
        { details: { path: poisoned } },
      );
    }
    const parsed = op.input.safeParse(rawInput);
    if (!parsed.success) {
      const issues = describeIssues(parsed.error);
      const first = issues[0];
      throw new FaztError(
        "invalid_input",
        `Invalid input for ${op.name}: ${first.path ? `"${first.path}" ` : ""}${first.message}.`,
        { details: { issues } },
      );
    }
    authorize(op, ctx, parsed.data);
    const output = await op.handler(parsed.data, ctx);
    if (op.http.stream) return parseEach(op, output as AsyncIterable<unknown>);
    return op.output.parse(output);
  } catch (err) {
    throw toFaztError(err);
  }
}

async function* parseEach(
  op: AnyOperation,
  items: AsyncIterable<unknown>,
): AsyncGenerator<unknown> {
  for await (const item of items) yield op.output.parse(item);
}
