import type { NodeStats } from "./types.ts";

/** One row per live node in the cluster. */
export function NodesTable({ nodes, current }: { nodes: NodeStats[]; current: string }) {
  return (
    <section class="panel" aria-labelledby="nodes-title">
      <h2 id="nodes-title">Nodes</h2>
      <div class="table-wrap">
        <table data-testid="nodes">
          <thead>
            <tr>
              <th scope="col">node</th>
              <th scope="col">conns</th>
              <th scope="col">users</th>
              <th scope="col">rooms</th>
              <th scope="col">in/s</th>
              <th scope="col">out/s</th>
            </tr>
          </thead>
          <tbody>
            {nodes.map((node) => (
              <tr key={node.node}>
                <td>
                  {node.node}
                  {node.node === current && <span class="muted small"> (this)</span>}
                </td>
                <td>{node.connections}</td>
                <td>{node.users}</td>
                <td>{node.rooms}</td>
                <td>{node.framesInPerSecond.toFixed(1)}</td>
                <td>{node.framesOutPerSecond.toFixed(1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
