/**
 * WebSocket close codes Switchboard uses, with whether a client should reconnect.
 * The client SDK and docs/protocol.md both follow this table.
 */
export const CLOSE_CODES = {
  1000: { name: "normal", reconnect: "no", meaning: "Normal closure." },
  1001: { name: "going_away", reconnect: "immediately", meaning: "The server is shutting down; reconnect (to another node)." },
  1007: { name: "invalid_payload", reconnect: "backoff", meaning: "A text frame was not valid UTF-8 (closed by the WebSocket layer before Switchboard reads it)." },
  1008: { name: "policy_violation", reconnect: "backoff", meaning: "The connection broke a policy (e.g. sustained rate-limit abuse, auth deadline missed)." },
  1009: { name: "too_large", reconnect: "backoff", meaning: "A frame exceeded the maximum payload size." },
  1011: { name: "internal_error", reconnect: "backoff", meaning: "An unexpected server error." },
  1012: { name: "service_restart", reconnect: "immediately", meaning: "The server is restarting; reconnect." },
  1013: { name: "try_again_later", reconnect: "backoff", meaning: "The server is overloaded; reconnect after a backoff." },
  4001: { name: "token_expired", reconnect: "with_fresh_token", meaning: "The token expired or became invalid; reconnect with a fresh token." },
  4003: { name: "forbidden", reconnect: "no", meaning: "Forbidden; do not reconnect." },
  4008: { name: "slow_consumer", reconnect: "backoff", meaning: "The client did not read fast enough; reconnect and recover missed messages." },
  4009: { name: "disconnected", reconnect: "backoff", meaning: "Disconnected by the server API or an operator, or replaced by a newer connection of the same user (per-user cap)." },
} as const;

export type CloseCode = keyof typeof CLOSE_CODES;

export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  invalidPayload: 1007,
  policyViolation: 1008,
  tooLarge: 1009,
  internalError: 1011,
  serviceRestart: 1012,
  tryAgainLater: 1013,
  tokenExpired: 4001,
  forbidden: 4003,
  slowConsumer: 4008,
  disconnected: 4009,
} as const satisfies Record<string, CloseCode>;
