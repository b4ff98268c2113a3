const test = require("node:test");
const assert = require("node:assert");
const app = require("../app");

test("total", () => {
  assert.strictEqual(app.total([1, 2]), 3);
});
