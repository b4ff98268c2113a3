const { apply } = require("./app");
console.log(apply(1, 2));
