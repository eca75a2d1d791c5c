// The event map the snippets share, as an application would keep it in one module that both
// its server and its client import.
export interface AppEvents {
  requests: {
    "lobby:create": { data: { name: string }; reply: { room: string } };
    "lobby:list": { reply: string[] };
  };
  events: {
    match_found: { matchId: string; players: string[] };
    score: number;
  };
}
