// The Ketenhub TypeScript client: typed clients for every ketenhub.v1 service over the gRPC protocol, with
// the caller's identity, request ids and retries handled (client.ts), and the hub's coded errors (errors.ts).
// Messages, enums and service descriptors are generated from protos/ketenhub/v1 (src/gen, `npm run generate`).

export * from "./client.js";
export * from "./errors.js";
export * from "./gen/ketenhub/v1/client_pb.js";
export * from "./gen/ketenhub/v1/common_pb.js";
export * from "./gen/ketenhub/v1/consent_pb.js";
export * from "./gen/ketenhub/v1/decision_pb.js";
export * from "./gen/ketenhub/v1/delivery_pb.js";
export * from "./gen/ketenhub/v1/party_pb.js";
export * from "./gen/ketenhub/v1/referral_pb.js";
export * from "./gen/ketenhub/v1/routing_pb.js";
export * from "./gen/ketenhub/v1/signal_pb.js";
export * from "./gen/ketenhub/v1/transition_pb.js";
export type { Date as ProtoDate } from "./gen/google/type/date_pb.js";
export { DateSchema as ProtoDateSchema } from "./gen/google/type/date_pb.js";
