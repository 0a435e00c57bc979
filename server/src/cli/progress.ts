// A progress bar on stderr for long admin commands: redrawn in place on a terminal (at most ten
// times a second), one line per 10 % otherwise (logs, CI).
export interface ProgressBar {
  update(done: number, total: number): void;
  finish(message: string): void;
}

export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr, width = 30): ProgressBar {
  const started = Date.now();
  let lastDraw = 0;
  let lastStep = -1;
  const render = (done: number, total: number) => {
    const ratio = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(ratio * width);
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = rate > 0 && total > done ? `, ${formatSeconds((total - done) / rate)} left` : '';
    return `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% `
      + `${done.toLocaleString('en')}/${total.toLocaleString('en')}, ${Math.round(rate).toLocaleString('en')}/s${eta}`;
  };
  return {
    update(done, total) {
      if (stream.isTTY) {
        const now = Date.now();
        if (now - lastDraw < 100 && done < total) return;
        lastDraw = now;
        stream.write(`\r${render(done, total)}\x1b[K`);
        return;
      }
      const step = total > 0 ? Math.floor((done / total) * 10) : 10;
      if (step === lastStep) return;
      lastStep = step;
      stream.write(`${render(done, total)}\n`);
    },
    finish(message) {
      stream.write(`${stream.isTTY ? '\n' : ''}${message}\n`);
    },
  };
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.ceil(seconds - minutes * 60)} s`;
}
