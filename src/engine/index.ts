export * from "./device.js";
export * from "./dtype.js";
export * from "./random.js";
export * from "./ownership.js";
export * from "./threads.js";
