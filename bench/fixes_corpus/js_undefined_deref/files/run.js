const { greeting } = require("./app");
console.log(greeting("bob"));
