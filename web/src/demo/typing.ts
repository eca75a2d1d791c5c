import { useEffect, useState } from "preact/hooks";

/** How long a typing signal shows without a fresh one. */
export const TYPING_SHOWN_MS = 3_000;
/** How often a typist re-announces: under TYPING_SHOWN_MS so the indicator does not flicker. */
export const TYPING_RESEND_MS = 1_500;

/** Names currently typing, each expiring TYPING_SHOWN_MS after its last signal. */
export function useTypists(): { typists: string[]; saw: (name: string) => void; stopped: (name: string) => void } {
  const [until, setUntil] = useState<Record<string, number>>({});
  useEffect(() => {
    const timer = setInterval(() => {
      setUntil((current) => {
        const now = Date.now();
        const kept = Object.entries(current).filter(([, expires]) => expires > now);
        return kept.length === Object.keys(current).length ? current : Object.fromEntries(kept);
      });
    }, 500);
    return () => clearInterval(timer);
  }, []);
  return {
    typists: Object.keys(until).sort(),
    saw: (name) => setUntil((current) => ({ ...current, [name]: Date.now() + TYPING_SHOWN_MS })),
    stopped: (name) =>
      setUntil((current) => {
        if (!(name in current)) return current;
        const { [name]: _gone, ...rest } = current;
        return rest;
      }),
  };
}

export function typingText(typists: string[]): string {
  if (typists.length === 0) return "";
  if (typists.length === 1) return `${typists[0]} is typing…`;
  if (typists.length <= 3) return `${typists.join(", ")} are typing…`;
  return "Several people are typing…";
}
