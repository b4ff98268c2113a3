const calc = {
  add(a, b) { return a + b; },
  multiply(a, b) { return a * b; },
};

function sumAll(values) {
  return values.reduce((acc, v) => calc.ad(acc, v), 0);
}

module.exports = { sumAll };
