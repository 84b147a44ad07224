import assert from "node:assert/strict";
import { withSection } from "../../bench/report_section.ts";

Deno.test("a section replaces only the text between its own markers", () => {
  const doc =
    "# B\n\n<!-- bench:a -->\n\nold a\n\n<!-- /bench:a -->\n\n<!-- bench:b -->\n\nb\n\n<!-- /bench:b -->\n";
  const next = withSection(doc, "a", "new a\n");
  assert.equal(
    next,
    "# B\n\n<!-- bench:a -->\n\nnew a\n\n<!-- /bench:a -->\n\n<!-- bench:b -->\n\nb\n\n<!-- /bench:b -->\n",
  );
});

Deno.test("a missing section is appended with its markers", () => {
  assert.equal(
    withSection("# B\n", "c", "c text"),
    "# B\n\n<!-- bench:c -->\n\nc text\n\n<!-- /bench:c -->\n",
  );
});
