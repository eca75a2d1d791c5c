import { closeCodeLabel } from "../shared/close-codes.ts";
import type { ConnectionState, StateInfo } from "./sdk.ts";

export interface BannerNotice {
  kind: "recovered" | "reset";
  text: string;
}

interface Props {
  state: ConnectionState;
  info: StateInfo | undefined;
  lastClose: StateInfo | undefined;
  notice: BannerNotice | null;
}

const LABELS: Record<ConnectionState, string> = {
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting…",
  closed: "Disconnected",
};

/** The connection state for everyone to see, announced politely to screen readers. */
export function ConnectionBanner({ state, info, lastClose, notice }: Props) {
  const why = info?.code !== undefined && state !== "connected" ? ` (closed: ${closeCodeLabel(info.code)}${info.reason ? ` — ${info.reason}` : ""})` : "";
  return (
    <div class="banner" data-state={state} data-last-close={lastClose?.code} data-testid="banner" role="status" aria-live="polite">
      {LABELS[state]}
      {why}
      {state === "connected" && lastClose?.code !== undefined && <span> · back after {closeCodeLabel(lastClose.code)}{lastClose.reason ? ` (${lastClose.reason})` : ""}</span>}
      {state === "connected" && notice !== null && <span data-notice={notice.kind}> · {notice.text}</span>}
    </div>
  );
}
