import { z } from "zod";

/**
 * A yes/no setting: a boolean in the config file, or "true"/"false" in an environment variable.
 * Kept here, the lowest layer, because the server config, protection, the integrations and the
 * Pusher apps all read flags this way.
 */
export const booleanSetting = z.union([z.boolean(), z.enum(["true", "false"]).transform((value) => value === "true")]);
