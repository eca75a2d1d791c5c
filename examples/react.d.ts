// The two React hooks react-use-room.tsx uses, typed here so the repository's typecheck
// covers the example without depending on React. Your app uses React's own types.
declare module "react" {
  export function useState<State>(initial: State | (() => State)): [State, (next: State | ((previous: State) => State)) => void];
  export function useEffect(effect: () => void | (() => void), deps?: readonly unknown[]): void;
}
