/**
 * `docs/fazt.d.ts` (made by kernel/capabilities/fazt_dts.ts from the
 * registry): the committed file is what the generator makes today, and a
 * sample app checks against it with `deno check`: right calls pass, wrong
 * ones (each marked `@ts-expect-error`, so one that passes fails the check)
 * do not.
 */
import assert from "node:assert/strict";
import { FAZT_DTS, generateFaztDts } from "../../../kernel/capabilities/fazt_dts.ts";
import { FAZT_CAPABILITY_NAMES } from "../../../kernel/capabilities/registry.ts";

Deno.test("the committed docs/fazt.d.ts equals a fresh generation", async () => {
  const committed = await Deno.readTextFile(FAZT_DTS);
  assert.ok(
    committed === await generateFaztDts(),
    "docs/fazt.d.ts is stale: run `deno task fazt-dts` and commit the result",
  );
});

/** A sample app (an ES module in TypeScript) using the types as an author would. */
function sampleApp(dts: string): string {
  const every = FAZT_CAPABILITY_NAMES.map((name) => `  fazt.${name},`).join("\n");
  return `/// <reference path="${dts}" />

// Every capability of the registry is declared.
export const all = [
${every}
];

interface Note {
  title: string;
  done: boolean;
}

async function handle(req: Request, ctx: Fazt.Context): Promise<Fazt.Answer> {
  const visits: number = await ctx.fazt.kv.increment("visits");
  const mine: Note = { title: "hi", done: false };
  await fazt.kv.set("note", mine, { ttl: 60 });
  await fazt.kv.set("plain", "text");
  const note = await fazt.kv.get("note") as Note | null;
  const page = await fazt.kv.list({ prefix: "n", limit: 10 });
  const keys: string[] = page.keys.map((k) => k.key);
  const ids: string[] = await fazt.docs.insert("notes", [mine, { _id: "x", n: 1 }]);
  const docs = await fazt.docs.find("notes", { n: { $gt: 0 } }, { sort: { n: -1 }, limit: 5 });
  const firstId: string | undefined = docs[0]?._id;
  const notes = docs as (Note & Fazt.Doc)[];
  const one = await fazt.docs.findOne("notes");
  await fazt.docs.update("notes", { _id: "x" }, { $set: { note: mine } });
  const changed = await fazt.docs.update("notes", { _id: "x" }, { $inc: { n: 1 }, $unset: ["old"] });
  const gone: number = await fazt.docs.delete("notes", {});
  const count: number = await fazt.docs.count("notes");
  await fazt.blobs.put("a.bin", new Uint8Array([1, 2]), { type: "application/octet-stream" });
  await fazt.blobs.put("b.txt", "text");
  const blob = await fazt.blobs.get("a.bin");
  const bytes: Uint8Array | undefined = blob?.bytes;
  const listed: string[] = (await fazt.blobs.list({ prefix: "a" })).map((b) => b.path);
  await fazt.sql.exec("CREATE TABLE IF NOT EXISTS t (x)");
  const { changes } = await fazt.sql.exec("INSERT INTO t VALUES (?)", [new Uint8Array(1)]);
  const rows = await fazt.sql.query("SELECT x FROM t WHERE x = :x", { x: 1 });
  const key: string | null = await fazt.env.get("API_KEY");
  const app: string = fazt.app.name + ctx.app.id + ctx.requestId;
  if (new URL(req.url).pathname === "/api/raw") return new Response("raw");
  return { visits, note, keys, ids, firstId, notes, one, changed, gone, count, bytes, listed, changes, rows, key, app };
}

export default handle satisfies Fazt.Handler;
export const asModule: Fazt.Module = { fetch: handle };

export async function wrong(ctx: Fazt.Context): Promise<void> {
  // @ts-expect-error a key is a string
  await fazt.kv.set(42, 1);
  // @ts-expect-error get needs its key
  await fazt.kv.get();
  // @ts-expect-error a ttl is a number
  await fazt.kv.set("k", 1, { ttl: "soon" });
  // @ts-expect-error an _id is a string
  await fazt.docs.insert("c", { _id: 5 });
  // @ts-expect-error sort directions are 1 or -1
  await fazt.docs.find("c", {}, { sort: { n: 2 } });
  // @ts-expect-error updates are made of operators
  await fazt.docs.update("c", {}, { title: "x" });
  // @ts-expect-error delete needs a filter
  await fazt.docs.delete("c");
  // @ts-expect-error blob data is bytes or text
  await fazt.blobs.put("p", 5);
  // @ts-expect-error a stored value is not known to be a string until narrowed
  const text: string = await fazt.kv.get("k");
  // @ts-expect-error there is no such group
  fazt.nope;
  // @ts-expect-error the groups cannot be replaced
  fazt.kv = fazt.kv;
  // @ts-expect-error the app's identity is read-only
  ctx.app.id = "app_other";
  void text;
}

// @ts-expect-error a handler answers with a response, text, bytes, JSON or nothing
export const notAHandler: Fazt.Handler = () => 10n;
`;
}

Deno.test("a sample app type-checks against docs/fazt.d.ts; each wrong call is an error", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fazt-dts-" });
  try {
    const file = `${dir}/main.ts`;
    await Deno.writeTextFile(file, sampleApp(decodeURIComponent(FAZT_DTS.pathname)));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", "--no-config", "--no-lock", file],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    assert.ok(
      out.success,
      `deno check failed:\n${dec.decode(out.stdout)}${dec.decode(out.stderr)}`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
