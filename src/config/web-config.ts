import { z } from "zod";

/**
 * The web face's settings, merged into the server config schema
 * (src/config/server-config.ts) like the integration and protection settings.
 */
const onOff = z.union([z.boolean(), z.enum(["on", "off", "true", "false"]).transform((value) => value === "on" || value === "true")]);

export const webConfigShape = {
  /** Serve the demo app at / and the dashboard at /dashboard (SWITCHBOARD_WEB=off disables). */
  web: onOff.default(true),
  /** Development only: POST /web/dev-token mints demo tokens with SWITCHBOARD_JWT_SECRET. */
  webDevTokens: onOff.default(false),
};

export const WEB_ENVIRONMENT_VARIABLES = {
  web: ["SWITCHBOARD_WEB"],
  webDevTokens: ["SWITCHBOARD_WEB_DEV_TOKENS"],
};

interface WebSettings {
  web: boolean;
  webDevTokens: boolean;
  jwtSecret?: string | undefined;
}

/** Dev tokens sign with the HS256 secret, so they need one and the web face to be on. */
export function refineWebConfig(config: WebSettings, context: z.RefinementCtx): void {
  if (!config.webDevTokens) return;
  if (config.jwtSecret === undefined) context.addIssue({ code: "custom", path: ["webDevTokens"], message: "needs SWITCHBOARD_JWT_SECRET (dev tokens are signed with it)" });
  if (!config.web) context.addIssue({ code: "custom", path: ["webDevTokens"], message: "needs the web face on (SWITCHBOARD_WEB)" });
}

/** Minting tokens for any name is a development convenience; production refuses it. */
export function assertDevTokensAllowed(config: WebSettings, env: NodeJS.ProcessEnv): string | undefined {
  if (config.webDevTokens && env.NODE_ENV === "production") return "SWITCHBOARD_WEB_DEV_TOKENS: dev tokens let anyone sign in as anyone; they are refused when NODE_ENV=production.";
  return undefined;
}
