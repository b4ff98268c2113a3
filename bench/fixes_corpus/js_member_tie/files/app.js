const ops = {
  sub(a, b) { return a - b; },
  sun(a, b) { return a + b; },
};

function apply(a, b) {
  return ops.suv(a, b);
}

module.exports = { apply };
