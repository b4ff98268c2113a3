const { Cart } = require("./cart");

function checkout(prices) {
  const cart = new Cart();
  prices.forEach((p) => cart.add(p));
  return cart.totl();
}

module.exports = { checkout };
