const test = require("node:test");
const assert = require("node:assert");
const { sumAll } = require("../app");

test("sumAll", () => {
  assert.strictEqual(sumAll([1, 2, 3]), 6);
});
