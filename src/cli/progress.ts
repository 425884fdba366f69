/**
 * Import progress on stderr: a redrawn bar with counts and rate on a terminal, a plain line
 * every few seconds (and at the end of each table) when the output goes to a file or a pipe.
 */
export class Progress {
  private readonly _tty = Boolean(process.stderr.isTTY);
  private _started = Date.now();
  private _lastLine = 0;
  private _label = '';
  private _total = 0;
  private _done = 0;

  start(label: string, total: number, done = 0): void {
    this._label = label;
    this._total = total;
    this._done = done;
    this._started = Date.now();
    this._lastLine = 0;
    this._draw(false);
  }

  update(done: number): void {
    this._done = done;
    this._draw(false);
  }

  finish(note = ''): void {
    this._draw(true, note);
  }

  private _rate(): number {
    const s = (Date.now() - this._started) / 1000;
    return s > 0 ? this._done / s : 0;
  }

  private _draw(final: boolean, note = ''): void {
    const now = Date.now();
    const count = `${this._done.toLocaleString('en')}/${this._total.toLocaleString('en')}`;
    const rate = `${Math.round(this._rate()).toLocaleString('en')}/s`;
    if (this._tty) {
      const width = 30;
      const share = this._total > 0 ? Math.min(1, this._done / this._total) : 1;
      const fill = Math.round(share * width);
      const bar = '#'.repeat(fill) + '.'.repeat(width - fill);
      process.stderr.write(`\r\x1b[2K${this._label.padEnd(14)} [${bar}] ${count} ${rate}${note ? ' ' + note : ''}${final ? '\n' : ''}`);
      return;
    }
    if (final || now - this._lastLine >= 2000) {
      this._lastLine = now;
      process.stderr.write(`${this._label}: ${count} ${final ? 'done' : 'copied'}, ${rate}${note ? ', ' + note : ''}\n`);
    }
  }
}
