function total(prices) {
  let subtotal = 0;
  for (const price of prices) subtotal += price;
  return subtotl;
}

module.exports = { total };
