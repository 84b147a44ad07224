import assert from "node:assert/strict";
import type { AppData } from "../../../../kernel/services/appdata/app_data_service.ts";
import type { DocFilter } from "../../../../kernel/services/appdata/doc_store.ts";
import type { ErrorCode } from "../../../../kernel/core/errors.ts";
import { rejectsWith, withApp } from "../../../_helpers/appdata.ts";

const PEOPLE = [
  {
    _id: "ada",
    name: "Ada",
    age: 36,
    tags: ["math", "code"],
    address: { city: "London", zip: "N1" },
    active: true,
    score: 9.5,
  },
  {
    _id: "alan",
    name: "Alan",
    age: 41,
    tags: ["code", "crypto"],
    address: { city: "Wilmslow" },
    active: false,
    score: null,
  },
  {
    _id: "grace",
    name: "Grace",
    age: 85,
    tags: ["navy", "code"],
    address: { city: "New York" },
    active: true,
  },
  { _id: "linus", name: "Linus", age: "unknown", tags: [], active: true, nick: "torvalds" },
  {
    _id: "edsger",
    name: "Edsger",
    age: 72,
    address: { city: "Austin", geo: { lat: 30.2 } },
    active: false,
    score: 7,
    notes: "O'Brien said: '; DROP TABLE docs; --",
  },
];

async function withPeople(fn: (app: AppData) => Promise<void>): Promise<void> {
  await withApp(async (app) => {
    assert.deepEqual(await app.docs.insert("people", PEOPLE), PEOPLE.map((p) => p._id));
    await fn(app);
  });
}

async function ids(app: AppData, filter?: DocFilter): Promise<string[]> {
  return (await app.docs.find("people", filter)).map((d) => d._id);
}

const ALL = ["ada", "alan", "grace", "linus", "edsger"];

const FILTERS: [string, DocFilter | undefined, string[]][] = [
  ["no filter matches everything", undefined, ALL],
  ["an empty filter matches everything", {}, ALL],
  ["string equality", { name: "Ada" }, ["ada"]],
  ["number equality", { age: 41 }, ["alan"]],
  ["equality is type-strict (a string never equals a number)", { age: "41" }, []],
  ["boolean equality", { active: true }, ["ada", "grace", "linus"]],
  ["equality is type-strict (1 never equals true)", { active: 1 }, []],
  ["null matches null and missing fields", { score: null }, ["alan", "grace", "linus"]],
  ["nested dotted path", { "address.city": "London" }, ["ada"]],
  ["deeply nested dotted path", { "address.geo.lat": 30.2 }, ["edsger"]],
  ["whole-object equality", { address: { city: "Wilmslow" } }, ["alan"]],
  ["whole-array equality", { tags: ["math", "code"] }, ["ada"]],
  ["$eq", { age: { $eq: 36 } }, ["ada"]],
  ["$ne also matches missing fields", { "address.city": { $ne: "London" } }, [
    "alan",
    "grace",
    "linus",
    "edsger",
  ]],
  ["$ne null matches present non-null values", { score: { $ne: null } }, ["ada", "edsger"]],
  ["$gt compares numbers only with numbers", { age: { $gt: 41 } }, ["grace", "edsger"]],
  ["$gte", { age: { $gte: 41 } }, ["alan", "grace", "edsger"]],
  ["$lt", { age: { $lt: 41 } }, ["ada"]],
  ["$lte", { age: { $lte: 41 } }, ["ada", "alan"]],
  ["a range of two operators", { age: { $gt: 30, $lt: 80 } }, ["ada", "alan", "edsger"]],
  ["string ranges compare strings", { name: { $gte: "E", $lt: "H" } }, ["grace", "edsger"]],
  ["$gt on strings skips numbers", { age: { $gt: "a" } }, ["linus"]],
  ["$in", { name: { $in: ["Ada", "Linus", "Nobody"] } }, ["ada", "linus"]],
  ["$in with mixed types", { age: { $in: [36, "unknown"] } }, ["ada", "linus"]],
  ["$in with an empty list matches nothing", { age: { $in: [] } }, []],
  ["$nin", { name: { $nin: ["Ada", "Alan"] } }, ["grace", "linus", "edsger"]],
  ["$contains finds a substring", { name: { $contains: "ra" } }, ["grace"]],
  ["$contains is case-sensitive", { name: { $contains: "ADA" } }, []],
  ["$contains finds an array element", { tags: { $contains: "code" } }, ["ada", "alan", "grace"]],
  [
    "$contains on an array does not match substrings of elements",
    { tags: { $contains: "cod" } },
    [],
  ],
  ["$and", { $and: [{ active: true }, { tags: { $contains: "code" } }] }, ["ada", "grace"]],
  ["$or", { $or: [{ age: { $gt: 80 } }, { nick: "torvalds" }] }, ["grace", "linus"]],
  ["fields and $or together", { active: false, $or: [{ score: 7 }, { score: null }] }, [
    "alan",
    "edsger",
  ]],
  ["nested $and inside $or", {
    $or: [{ $and: [{ active: true }, { age: { $lt: 40 } }] }, { name: "Edsger" }],
  }, ["ada", "edsger"]],
  ["_id equality", { _id: "grace" }, ["grace"]],
  ["_id with $in", { _id: { $in: ["alan", "ada"] } }, ["ada", "alan"]],
  ["_id with $ne", { _id: { $ne: "ada" } }, ["alan", "grace", "linus", "edsger"]],
  ["a nested field named with $", { "meta.$price": 1 }, []],
  ["an SQL injection in a value is just a value", { name: "' OR '1'='1" }, []],
  ["an SQL injection in a value is just a value (2)", { name: "Ada'; DROP TABLE docs; --" }, []],
  ["a value holding quotes matches exactly", { notes: "O'Brien said: '; DROP TABLE docs; --" }, [
    "edsger",
  ]],
  ["$contains with quotes and wildcards is literal", { notes: { $contains: "'; DROP" } }, [
    "edsger",
  ]],
  ["$contains treats % and _ literally", { name: { $contains: "%" } }, []],
];

Deno.test("docs find() filters", async (t) => {
  await withPeople(async (app) => {
    for (const [name, filter, expected] of FILTERS) {
      await t.step(name, async () => {
        assert.deepEqual(await ids(app, filter), expected);
        assert.equal(await app.docs.count("people", filter), expected.length);
      });
    }
    assert.equal(await app.docs.count("people"), PEOPLE.length, "the injections changed nothing");
  });
});

const BAD_FILTERS: [string, unknown, RegExp][] = [
  ["an unknown operator", { age: { $regex: "x" } }, /not a filter operator/],
  ["an unknown top-level operator", { $where: "1 = 1" }, /not allowed at the top/],
  ["operators mixed with fields", { age: { $gt: 1, other: 2 } }, /mixes operators/],
  ["an empty $or", { $or: [] }, /non-empty array/],
  ["$and that is not an array", { $and: { a: 1 } }, /non-empty array/],
  ["$and holding a non-object", { $and: ["a = 1"] }, /must be an object/],
  ["$in that is not an array", { age: { $in: 5 } }, /array of values/],
  ["$gt with a boolean", { age: { $gt: true } }, /number or a string/],
  ["$lt with an object", { age: { $lt: {} } }, /number or a string/],
  ["NaN as a value", { age: Number.NaN }, /not plain JSON/],
  ["a filter that is a string", "age > 3", /must be an object/],
  ["a filter that is an array", [{ a: 1 }], /must be an object/],
  ["a filter that is null", null, /must be an object/],
  ["a field path with an empty segment", { "a..b": 1 }, /not a valid field path/],
  ["a field path starting with a digit", { "1a": 1 }, /not a valid field path/],
  ["a field path with a space", { "a b": 1 }, /not a valid field path/],
  ["a field path with a wildcard", { "a.*": 1 }, /not a valid field path/],
  ["a field path with an array index", { "tags[0]": "x" }, /not a valid field path/],
  ["an SQL injection in a field name", { "name') OR 1=1 --": "x" }, /not a valid field path/],
  ["a JSON path injection in a field name", { 'name"."x': "x" }, /not a valid field path/],
  ["a field name that closes the JSON path", { "a') FROM docs; DROP TABLE docs; --": 1 }, /valid/],
];

Deno.test("docs filters that are malformed are invalid_input and run nothing", async (t) => {
  await withPeople(async (app) => {
    for (const [name, filter, message] of BAD_FILTERS) {
      await t.step(name, async () => {
        await rejectsWith(app.docs.find("people", filter as DocFilter), "invalid_input", message);
        await rejectsWith(app.docs.count("people", filter as DocFilter), "invalid_input", message);
        await rejectsWith(app.docs.delete("people", filter as DocFilter), "invalid_input", message);
      });
    }
    assert.equal(await app.docs.count("people"), PEOPLE.length);
  });
});

Deno.test("docs filters with more conditions than the limit are refused", async () => {
  await withApp(async (app) => {
    await app.docs.insert("c", { n: 1 });
    await app.docs.find("c", { n: { $in: [1, 2, 3] } });
    await rejectsWith(
      app.docs.find("c", { n: { $in: [1, 2, 3, 4, 5] } }),
      "invalid_input",
      /more than 4 conditions/,
    );
  }, { limits: { maxFilterConditions: 4 } });
});

const SORTS: [string, Record<string, unknown>, DocFilter | undefined, string[]][] = [
  ["ascending by number", { age: 1 }, { age: { $gt: 0 } }, ["ada", "alan", "edsger", "grace"]],
  ["descending by number", { age: -1 }, { age: { $gt: 0 } }, ["grace", "edsger", "alan", "ada"]],
  ["by a nested field, missing first", { "address.city": 1 }, undefined, [
    "linus",
    "edsger",
    "ada",
    "grace",
    "alan",
  ]],
  ["by two fields", { active: -1, name: 1 }, undefined, [
    "ada",
    "grace",
    "linus",
    "alan",
    "edsger",
  ]],
  ["by _id descending", { _id: -1 }, undefined, ["linus", "grace", "edsger", "alan", "ada"]],
  ["insertion order when not sorted", {}, undefined, ALL],
];

Deno.test("docs find() sorts", async (t) => {
  await withPeople(async (app) => {
    for (const [name, sort, filter, expected] of SORTS) {
      await t.step(name, async () => {
        const found = await app.docs.find("people", filter, { sort: sort as Record<string, 1> });
        assert.deepEqual(found.map((d) => d._id), expected);
      });
    }
  });
});

Deno.test("docs find() limit and offset page through sorted results", async () => {
  await withPeople(async (app) => {
    const page = async (limit: number, offset: number) =>
      (await app.docs.find("people", undefined, { sort: { name: 1 }, limit, offset })).map((d) =>
        d._id
      );
    assert.deepEqual(await page(2, 0), ["ada", "alan"]);
    assert.deepEqual(await page(2, 2), ["edsger", "grace"]);
    assert.deepEqual(await page(2, 4), ["linus"]);
    assert.deepEqual(await page(2, 6), []);
  });
});

const BAD_FIND_OPTIONS: [string, Record<string, unknown>][] = [
  ["a sort direction of 2", { sort: { age: 2 } }],
  ["a sort direction given as text", { sort: { age: "asc" } }],
  ["a sort on an invalid path", { sort: { "age; DROP TABLE docs": 1 } }],
  ["a sort that is an array", { sort: ["age"] }],
  ["limit 0", { limit: 0 }],
  ["limit above 1000", { limit: 1001 }],
  ["a negative offset", { offset: -1 }],
  ["a fractional offset", { offset: 0.5 }],
  ["an offset over 1,000,000,000", { offset: 1_000_000_001 }],
  ["an offset of 1e300", { offset: 1e300 }],
];
for (const [name, opts] of BAD_FIND_OPTIONS) {
  Deno.test(`docs find() refuses ${name} with invalid_input`, async () => {
    await withPeople(async (app) => {
      await rejectsWith(app.docs.find("people", {}, opts), "invalid_input");
    });
  });
}

Deno.test("docs find() returns at most 1000 documents by default", async () => {
  await withApp(async (app) => {
    await app.docs.insert("c", Array.from({ length: 1000 }, (_, i) => ({ i })));
    await app.docs.insert("c", { i: 1000 });
    assert.equal((await app.docs.find("c")).length, 1000);
    assert.equal(await app.docs.count("c"), 1001);
    assert.deepEqual((await app.docs.find("c", {}, { offset: 1000 })).map((d) => d.i), [1000]);
  });
});

Deno.test("docs findOne() returns the first match or null", async () => {
  await withPeople(async (app) => {
    assert.equal((await app.docs.findOne("people", { active: true }))?._id, "ada");
    assert.equal(
      (await app.docs.findOne("people", { active: true }, { sort: { age: -1 } }))?._id,
      "linus",
      "text sorts after numbers",
    );
    assert.equal(
      (await app.docs.findOne("people", { age: { $lt: 80 } }, { sort: { age: -1 } }))?._id,
      "edsger",
    );
    assert.equal(await app.docs.findOne("people", { name: "Nobody" }), null);
    assert.deepEqual(await app.docs.findOne("people", { _id: "alan" }), PEOPLE[1]);
  });
});

Deno.test("docs insert() generates a UUID _id, stored first, when none is given", async () => {
  await withApp(async (app) => {
    const [id] = await app.docs.insert("notes", { text: "hi" });
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const doc = await app.docs.findOne("notes", { _id: id });
    assert.deepEqual(doc, { _id: id, text: "hi" });
    assert.deepEqual(Object.keys(doc!), ["_id", "text"]);
  });
});

Deno.test("docs insert() of a duplicate _id is a conflict and a batch is all or nothing", async () => {
  await withApp(async (app) => {
    await app.docs.insert("c", { _id: "x", v: 1 });
    await rejectsWith(app.docs.insert("c", { _id: "x", v: 2 }), "conflict", /already has/);
    await rejectsWith(
      app.docs.insert("c", [{ _id: "y" }, { _id: "x" }]),
      "conflict",
      /already has/,
    );
    await rejectsWith(app.docs.insert("c", [{ _id: "z" }, { _id: "z" }]), "conflict", /unique/);
    assert.deepEqual((await app.docs.find("c")).map((d) => d._id), ["x"]);
    assert.equal((await app.docs.findOne("c", { _id: "x" }))?.v, 1);
  });
});

Deno.test("docs collections are separate namespaces", async () => {
  await withApp(async (app) => {
    await app.docs.insert("a", { _id: "same", in: "a" });
    await app.docs.insert("b", { _id: "same", in: "b" });
    assert.deepEqual(await app.docs.find("a"), [{ _id: "same", in: "a" }]);
    assert.deepEqual(await app.docs.find("b"), [{ _id: "same", in: "b" }]);
    assert.equal(await app.docs.delete("a", {}), 1);
    assert.equal(await app.docs.count("b"), 1);
  });
});

Deno.test("docs collections() lists non-empty collections with counts, sorted by name", async () => {
  await withApp(async (app) => {
    assert.deepEqual(await app.docs.collections(), []);
    await app.docs.insert("zeta", [{ a: 1 }, { a: 2 }]);
    await app.docs.insert("Alpha", { a: 1 });
    await app.docs.insert("beta", [{ a: 1 }, { a: 2 }, { a: 3 }]);
    assert.deepEqual(await app.docs.collections(), [
      { name: "Alpha", count: 1 },
      { name: "beta", count: 3 },
      { name: "zeta", count: 2 },
    ]);
    await app.docs.delete("beta", {});
    assert.deepEqual((await app.docs.collections()).map((c) => c.name), ["Alpha", "zeta"]);
  });
});

const BAD_INSERTS: [string, unknown, ErrorCode][] = [
  ["a non-string _id", { _id: 5 }, "invalid_input"],
  ["an empty _id", { _id: "" }, "invalid_input"],
  ["a 257-byte _id", { _id: "x".repeat(257) }, "invalid_input"],
  ["a document that is an array", [[1, 2]], "invalid_input"],
  ["a document that is a string", "doc", "invalid_input"],
  ["a document holding a Date", { when: new Date() }, "invalid_input"],
  ["a document holding NaN", { n: Number.NaN }, "invalid_input"],
];
for (const [name, doc, code] of BAD_INSERTS) {
  Deno.test(`docs insert() refuses ${name}`, async () => {
    await withApp(async (app) => {
      await rejectsWith(app.docs.insert("c", doc as Record<string, unknown>), code);
      assert.equal(await app.docs.count("c"), 0);
    });
  });
}

const BAD_COLLECTIONS = ["", "a b", "x".repeat(65), "../x", "a;DROP TABLE docs", "dé", "a.b"];
for (const name of BAD_COLLECTIONS) {
  Deno.test(`docs refuse the collection name ${JSON.stringify(name)}`, async () => {
    await withApp(async (app) => {
      await rejectsWith(app.docs.insert(name, { a: 1 }), "invalid_input", /collection name/);
      await rejectsWith(app.docs.find(name), "invalid_input", /collection name/);
      await rejectsWith(app.docs.count(name), "invalid_input", /collection name/);
    });
  });
}

Deno.test("docs accept collection names of 1 to 64 letters, digits, _ and -", async () => {
  await withApp(async (app) => {
    for (const name of ["a", "x".repeat(64), "Todo_items-2"]) {
      await app.docs.insert(name, { ok: true });
      assert.equal(await app.docs.count(name), 1);
    }
  });
});

Deno.test("docs larger than the limit are payload_too_large, on insert and on update", async () => {
  await withApp(async (app) => {
    await app.docs.insert("c", { _id: "d", text: "x".repeat(100) });
    await rejectsWith(app.docs.insert("c", { text: "x".repeat(300) }), "payload_too_large");
    await rejectsWith(
      app.docs.update("c", { _id: "d" }, { $set: { more: "y".repeat(200) } }),
      "payload_too_large",
    );
    assert.equal((await app.docs.findOne("c", { _id: "d" }))?.more, undefined);
  }, { limits: { maxDocBytes: 256 } });
});

Deno.test("docs insert() refuses batches above the limit", async () => {
  await withApp(async (app) => {
    await app.docs.insert("c", [{}, {}, {}]);
    await rejectsWith(app.docs.insert("c", [{}, {}, {}, {}]), "payload_too_large", /at most 3/);
    assert.equal(await app.docs.count("c"), 3);
  }, { limits: { maxInsertBatch: 3 } });
});

Deno.test("docs update() $set creates nested fields and reports matched and modified", async () => {
  await withPeople(async (app) => {
    assert.deepEqual(
      await app.docs.update("people", { _id: "linus" }, { $set: { "address.city": "Portland" } }),
      { matched: 1, modified: 1 },
    );
    assert.deepEqual((await app.docs.findOne("people", { _id: "linus" }))?.address, {
      city: "Portland",
    });
    assert.deepEqual(
      await app.docs.update("people", { _id: "linus" }, { $set: { "address.city": "Portland" } }),
      { matched: 1, modified: 0 },
      "setting the same value modifies nothing",
    );
    assert.deepEqual(
      await app.docs.update("people", { name: "Nobody" }, { $set: { x: 1 } }),
      { matched: 0, modified: 0 },
    );
  });
});

Deno.test("docs update() $unset removes fields, given as an object or an array", async () => {
  await withPeople(async (app) => {
    await app.docs.update("people", { _id: "linus" }, { $unset: { nick: "" } });
    await app.docs.update("people", { _id: "ada" }, { $unset: ["address.zip", "no.such"] });
    const linus = await app.docs.findOne("people", { _id: "linus" });
    assert.equal("nick" in linus!, false);
    assert.deepEqual((await app.docs.findOne("people", { _id: "ada" }))?.address, {
      city: "London",
    });
  });
});

Deno.test("docs update() $inc adds to numbers and starts missing fields at 0", async () => {
  await withPeople(async (app) => {
    assert.deepEqual(
      await app.docs.update("people", { age: { $gt: 0 } }, { $inc: { age: 1, "stats.visits": 2 } }),
      { matched: 4, modified: 4 },
    );
    const ada = await app.docs.findOne("people", { _id: "ada" });
    assert.equal(ada?.age, 37);
    assert.deepEqual(ada?.stats, { visits: 2 });
  });
});

Deno.test("docs update() is all or nothing: one bad document rolls back the others", async () => {
  await withPeople(async (app) => {
    await rejectsWith(
      app.docs.update("people", {}, { $inc: { age: 1 } }),
      "invalid_input",
      /"linus".*not a number/,
    );
    assert.equal((await app.docs.findOne("people", { _id: "ada" }))?.age, 36);
  });
});

Deno.test("docs update() combines $set, $unset and $inc in one call", async () => {
  await withPeople(async (app) => {
    await app.docs.update("people", { _id: "edsger" }, {
      $set: { active: true, "address.geo.lng": -97.7 },
      $unset: { notes: 1 },
      $inc: { score: 0.5 },
    });
    assert.deepEqual(await app.docs.findOne("people", { _id: "edsger" }), {
      _id: "edsger",
      name: "Edsger",
      age: 72,
      address: { city: "Austin", geo: { lat: 30.2, lng: -97.7 } },
      active: true,
      score: 7.5,
    });
  });
});

const BAD_UPDATES: [string, unknown, RegExp][] = [
  ["changing _id", { $set: { _id: "new" } }, /_id/],
  ["an unknown operator", { $push: { tags: "x" } }, /not an update operator/],
  ["a whole-document replacement", { name: "New" }, /use operators/i],
  ["an empty update", {}, /changes nothing/],
  ["overlapping paths", { $set: { address: {} }, $unset: { "address.city": 1 } }, /overlap/],
  ["the same path twice", { $set: { age: 1 }, $inc: { age: 1 } }, /overlap/],
  ["$inc by a string", { $inc: { age: "1" } }, /finite number/],
  ["$set of a non-JSON value", { $set: { f: () => 1 } }, /not plain JSON/],
  ["$set through a non-object", { $set: { "name.first": "A" } }, /not an object/],
  ["$set with an invalid path", { $set: { "a b": 1 } }, /valid field path/],
  ["an update that is not an object", "SET name = 'x'", /must be an object/],
];
for (const [name, change, message] of BAD_UPDATES) {
  Deno.test(`docs update() refuses ${name} and changes nothing`, async () => {
    await withPeople(async (app) => {
      await rejectsWith(
        app.docs.update("people", { _id: "ada" }, change as Record<string, never>),
        "invalid_input",
        message,
      );
      assert.deepEqual(await app.docs.findOne("people", { _id: "ada" }), PEOPLE[0]);
    });
  });
}

Deno.test("docs delete() removes matches and count() follows", async () => {
  await withPeople(async (app) => {
    assert.equal(await app.docs.delete("people", { active: false }), 2);
    assert.equal(await app.docs.count("people"), 3);
    assert.equal(await app.docs.count("people", { active: false }), 0);
    assert.equal(await app.docs.delete("people", { name: "Nobody" }), 0);
    await rejectsWith(
      app.docs.delete("people", undefined as unknown as DocFilter),
      "invalid_input",
      /pass \{\}/,
    );
    assert.equal(await app.docs.delete("people", {}), 3);
  });
});

Deno.test("docs keys that are not queryable paths are still stored", async () => {
  await withApp(async (app) => {
    const doc = { _id: "d", 'we"ird': 1, "a.b": 2, "": 3, "'; DROP TABLE docs; --": 4 };
    await app.docs.insert("c", doc);
    assert.deepEqual(await app.docs.findOne("c", { _id: "d" }), doc);
  });
});
