/** A one-line progress bar on stderr (redrawn in place on a terminal, one line per step otherwise). */
export class Progress {
  private done = 0;
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly total: number) {}

  show(label: string): void {
    const width = 24;
    const filled = Math.round((this.done / Math.max(1, this.total)) * width);
    const line = `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${this.done}/${this.total} ${label}`;
    if (this.tty) process.stderr.write(`\r\x1b[K${line}`);
    else process.stderr.write(`${line}\n`);
  }

  step(label: string): void {
    this.done++;
    this.show(label);
  }

  finish(): void {
    if (this.tty) process.stderr.write("\n");
  }
}
