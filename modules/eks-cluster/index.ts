export * from "./addons";
export * from "./cluster";
export * from "./handoff";
export * from "./pod-identity";
