/**
 * The kernel's migrations: one file each, named `NNNN_<name>.ts` after the
 * version and name inside it, consecutive from 1, every file listed.
 */
import assert from "node:assert/strict";
import { KERNEL_MIGRATIONS } from "../../../kernel/store/schema.ts";

const DIR = new URL("../../../kernel/store/migrations/", import.meta.url);

Deno.test("every migration file is listed once, in order, and its name matches its content", () => {
  const files = [...Deno.readDirSync(DIR)].map((e) => e.name).filter((n) => n.endsWith(".ts"))
    .sort();
  assert.deepEqual(
    files,
    KERNEL_MIGRATIONS.map((m) => `${String(m.version).padStart(4, "0")}_${m.name}.ts`),
  );
  KERNEL_MIGRATIONS.forEach((m, i) => assert.equal(m.version, i + 1, m.name));
});
