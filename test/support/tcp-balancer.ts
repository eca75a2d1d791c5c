import { connect, createServer } from "node:net";
import type { AddressInfo, Server, Socket } from "node:net";

/**
 * A TCP load balancer on loopback, as a deployment puts in front of its nodes: each
 * new client connection goes to the next backend port in turn (a backend that refuses
 * is skipped). Tests change `backends` to take a node out of rotation before it
 * stops, the way a balancer's health check would.
 */
export interface TcpBalancer {
  port: number;
  url: string;
  backends: number[];
  close(): Promise<void>;
}

export async function startTcpBalancer(backends: number[], path = "/ws"): Promise<TcpBalancer> {
  const sockets = new Set<Socket>();
  let next = 0;
  const balancer: TcpBalancer = { port: 0, url: "", backends: [...backends], close: () => Promise.resolve() };
  const route = (client: Socket, attempt: number): void => {
    const ports = balancer.backends;
    if (ports.length === 0 || attempt >= ports.length) {
      client.destroy();
      return;
    }
    const port = ports[next++ % ports.length]!;
    const upstream = connect(port, "127.0.0.1");
    sockets.add(upstream);
    upstream.once("close", () => sockets.delete(upstream));
    upstream.once("connect", () => {
      upstream.off("error", retry);
      upstream.on("error", () => client.destroy());
      client.on("error", () => upstream.destroy());
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    const retry = (): void => route(client, attempt + 1);
    upstream.once("error", retry);
  };
  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    sockets.add(client);
    client.once("close", () => sockets.delete(client));
    route(client, 0);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  balancer.port = (server.address() as AddressInfo).port;
  balancer.url = `ws://127.0.0.1:${balancer.port}${path}`;
  balancer.close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return balancer;
}
