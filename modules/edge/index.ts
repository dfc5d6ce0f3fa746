export * from "./https-endpoint";
export * from "./web-firewall";
