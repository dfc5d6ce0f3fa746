export * from "./cluster";
export * from "./load-balancer";
export * from "./web-service";
