import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** HMAC-SHA256 of `data` with an app secret, as lowercase hex: every signature of the protocol. */
export function sign(secret: string, data: string): string {
  return createHmac("sha256", secret).update(data, "utf8").digest("hex");
}

/** Compares two signatures in constant time (for equal lengths; a length mismatch is refused at once). */
export function signaturesEqual(expected: string, given: string): boolean {
  const a = Buffer.from(expected, "utf8");
  const b = Buffer.from(given, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The string a channel authorization signs: `socket_id:channel[:channel_data]`. */
export function channelAuthPayload(socketId: string, channel: string, channelData: string | undefined): string {
  return channelData === undefined ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`;
}

/** The string a user authentication (`pusher:signin`) signs. */
export function userAuthPayload(socketId: string, userData: string): string {
  return `${socketId}::user::${userData}`;
}

/** Checks an `auth` field (`key:signature`) against the app's key and secret. */
export function verifyAuth(auth: unknown, key: string, secret: string, payload: string): boolean {
  if (typeof auth !== "string") return false;
  const colon = auth.indexOf(":");
  if (colon === -1) return false;
  const givenKey = auth.slice(0, colon);
  const signature = auth.slice(colon + 1);
  // Both compared in full, so the time taken does not tell which part was wrong.
  const keyOk = signaturesEqual(key, givenKey);
  const signatureOk = signaturesEqual(sign(secret, payload), signature);
  return keyOk && signatureOk;
}

export function md5Hex(body: string | Buffer): string {
  return createHash("md5").update(body).digest("hex");
}
