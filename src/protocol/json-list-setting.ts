import { z } from "zod";

/**
 * A list setting: an array in the config file, or the same array as a JSON string in an
 * environment variable. Kept here, the lowest layer, because the config, the integrations and the
 * Pusher apps all read lists this way; `error` shows the expected form with an example.
 */
export function jsonListSetting<Item extends z.ZodType>(item: Item, error: string) {
  return z.preprocess((value) => {
    if (typeof value !== "string") return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }, z.array(item, { error }));
}
