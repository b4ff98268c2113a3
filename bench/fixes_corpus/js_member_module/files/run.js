const { label } = require("./app");
console.log(label({ name: "tea", cents: 250 }));
