const { row } = require("./app");
console.log(row(["a", "b"]));
