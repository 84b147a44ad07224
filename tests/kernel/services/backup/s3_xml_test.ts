import assert from "node:assert/strict";
import { parseListPage, parseS3Error } from "../../../../kernel/services/backup/s3_xml.ts";

const page = (inner: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</ListBucketResult>`;

Deno.test("a listing page gives keys (entities decoded), sizes, times and the next token", () => {
  const xml = page(
    `<Name>b</Name><IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
     <Contents><Key>fazt/a &amp; b&#x2F;&lt;1&gt;.tar</Key><LastModified>2026-12-07T21:00:00.000Z</LastModified><ETag>&quot;x&quot;</ETag><Size>42</Size></Contents>
     <Contents><Key>fazt/c.tar</Key><LastModified>2026-12-07T21:00:01.000Z</LastModified><Size>0</Size></Contents>`,
  );
  assert.deepEqual(parseListPage(xml), {
    objects: [
      { key: "fazt/a & b/<1>.tar", size: 42, lastModified: Date.UTC(2026, 11, 7, 21) },
      { key: "fazt/c.tar", size: 0, lastModified: Date.UTC(2026, 11, 7, 21, 0, 1) },
    ],
    nextToken: "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=",
  });
  assert.deepEqual(parseListPage(page("<IsTruncated>false</IsTruncated>")), { objects: [] });
});

Deno.test("what is not a listing, or a truncated one without a token, is refused", () => {
  assert.throws(() => parseListPage("<html>hello</html>"), /not a ListBucketResult/);
  assert.throws(
    () => parseListPage(page("<IsTruncated>true</IsTruncated>")),
    /NextContinuationToken/,
  );
  assert.throws(
    () =>
      parseListPage(
        page("<Contents><Key>k</Key><Size>-1</Size><LastModified>x</LastModified></Contents>"),
      ),
    /no valid Key, Size or LastModified/,
  );
  const custom = page(
    `<!DOCTYPE x [<!ENTITY big "boom">]><Contents><Key>&big;</Key><Size>1</Size><LastModified>2026-01-01T00:00:00Z</LastModified></Contents>`,
  );
  assert.equal(parseListPage(custom).objects[0].key, "&big;", "no entity is defined by the answer");
});

Deno.test("an error body gives its Code and Message; anything else gives nothing", () => {
  assert.deepEqual(
    parseS3Error(
      `<?xml version="1.0"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>x</BucketName></Error>`,
    ),
    { code: "NoSuchBucket", message: "The specified bucket does not exist" },
  );
  assert.deepEqual(parseS3Error(""), {});
  assert.deepEqual(parseS3Error("<html>502 Bad Gateway</html>"), {});
});
