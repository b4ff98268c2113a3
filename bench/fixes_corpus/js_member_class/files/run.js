const { checkout } = require("./app");
console.log(checkout([3, 4]));
