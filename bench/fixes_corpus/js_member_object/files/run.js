const { sumAll } = require("./app");
console.log(sumAll([1, 2, 3]));
