/**
 * `berth build` on a terminal: the legacy builder's log, with each step's
 * own output (a RUN's) shown in a rolling window of its last lines that is
 * redrawn in place and folded away when the step ends, and each step's
 * time. Off a terminal the log is printed as it comes, like docker's.
 */

/** Lines that stay: the builder's own, not a step's output. */
const PERMANENT = [
  /^Step \d+\/\d+ : /,
  /^ ---> /,
  /^Removing intermediate container /,
  /^Successfully (built|tagged) /,
  /^\[Warning\]/,
  /^# Executing \d+ build trigger/,
];

const ESC = '\u001b[';

export class TerminalBuildView {
  private window: string[] = [];
  /** Lines of the window currently on screen. */
  private shown = 0;
  private partial = '';
  private stepStarted: number | undefined;
  private stepOutput = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly height = 6,
    private readonly width = 120,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one `stream` message's text. */
  stream(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.line(line);
    this.redraw();
  }

  /** Flushes what is left (the build ended or failed). */
  end(): void {
    if (this.partial !== '') this.line(this.partial);
    this.partial = '';
    this.clearWindow();
  }

  private line(line: string): void {
    if (!PERMANENT.some((re) => re.test(line))) {
      this.window.push(line);
      this.stepOutput++;
      if (this.window.length > this.height) this.window.shift();
      return;
    }
    this.clearWindow();
    if (/^ ---> [0-9a-f]{12}$|^ ---> Using cache$/.test(line) && this.stepStarted !== undefined) {
      const seconds = ((this.now() - this.stepStarted) / 1000).toFixed(1);
      const output =
        this.stepOutput > 0 ? `, ${this.stepOutput} line${this.stepOutput > 1 ? 's' : ''} of output` : '';
      this.write(`${line}  ${ESC}2m(${seconds}s${output})${ESC}0m\n`);
    } else this.write(`${line}\n`);
    // The window belongs to the running step: it folds away once anything else is said.
    if (!line.startsWith(' ---> Running in ')) this.window = [];
    if (/^Step \d+\/\d+ : /.test(line)) {
      this.stepStarted = this.now();
      this.stepOutput = 0;
    }
  }

  private clearWindow(): void {
    if (this.shown > 0) this.write(`${ESC}${this.shown}A${ESC}J`);
    this.shown = 0;
  }

  private redraw(): void {
    this.clearWindow();
    for (const line of this.window) this.write(`${ESC}2m  │ ${line.slice(0, this.width - 4)}${ESC}0m\n`);
    this.shown = this.window.length;
  }
}
