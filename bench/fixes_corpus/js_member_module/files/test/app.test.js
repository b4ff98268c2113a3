const test = require("node:test");
const assert = require("node:assert");
const { label } = require("../app");

test("label", () => {
  assert.strictEqual(label({ name: "tea", cents: 250 }), "tea: $2.50");
});
