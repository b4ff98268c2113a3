const test = require("node:test");
const assert = require("node:assert");
const { row } = require("../app");

test("row", () => {
  assert.strictEqual(row(["a"]), "     a");
});
