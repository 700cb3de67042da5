import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema } from "./gen/google/rpc/error_details_pb.js";

/** The error domain of the hub's `google.rpc.ErrorInfo`. */
export const ERROR_DOMAIN = "ketenhub.nl";

/** One invalid request field, from the error's `google.rpc.BadRequest`. */
export interface FieldViolation {
  /** The field's path in proto names, for example `signal.description`. */
  field: string;
  /** The code for this field, for example `FIELD_TOO_LONG`. */
  reason: string;
  /** A short English sentence for the developer; never personal data. */
  description: string;
}

/** What the hub said about a failed call. Branch on `reason` (docs/errors.md), never on `message`. */
export interface HubError {
  /** The gRPC status code. */
  code: Code;
  /** The gRPC status code's name, for example `InvalidArgument`. */
  codeName: string;
  /** The hub's error code (`ErrorInfo.reason`), for example `REQUEST_ID_REUSED`; absent if the hub was not reached. */
  reason?: string;
  /** `ErrorInfo.domain`: `ketenhub.nl` for the hub's own errors. */
  domain?: string;
  /**
   * `ErrorInfo.metadata`: every value the message mentions, by key (for example `field`, `maxLength`,
   * `expectedForm`; docs/errors.md). Empty when the hub sent none.
   */
  metadata: Record<string, string>;
  /** The status message. */
  message: string;
  /** Invalid fields, when the request had invalid input. */
  fieldViolations: FieldViolation[];
}

/** Reads the hub's coded error from anything a call threw. */
export function hubError(error: unknown): HubError {
  const failure = ConnectError.from(error);
  const info = failure.findDetails(ErrorInfoSchema)[0];
  const violations = failure.findDetails(BadRequestSchema).flatMap((b) => b.fieldViolations);
  return {
    code: failure.code,
    codeName: Code[failure.code] ?? String(failure.code),
    reason: info?.reason || undefined,
    domain: info?.domain || undefined,
    metadata: { ...(info?.metadata ?? {}) },
    message: failure.rawMessage,
    fieldViolations: violations.map((v) => ({ field: v.field, reason: v.reason, description: v.description })),
  };
}
