export { startMongoWire } from "./server";
export type { FaultInjector, MongoWireOptions, MongoWireServer } from "./types";
