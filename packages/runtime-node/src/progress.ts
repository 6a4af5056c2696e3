import cliProgress from 'cli-progress';
import type { EpochInfo, StepInfo } from '@emoje/model';

/** Callbacks for `train()` that draw a progress bar, and `stop()` to finish it. */
export interface TrainingProgress {
  onStep(info: StepInfo): void;
  onEpochEnd(info: EpochInfo): void;
  stop(): void;
}

export interface TrainingProgressOptions {
  /** Where to draw. Defaults to `process.stderr`. */
  stream?: NodeJS.WriteStream;
  /** Force the plain one-line-per-epoch log (what non-terminals get). Defaults to `!stream.isTTY`. */
  plain?: boolean;
}

const fmt = (x: number | null | undefined, digits = 4) => (x == null || x < 0 ? '-' : x.toFixed(digits));

/** Seconds as `m:ss` (or `h:mm:ss` from an hour on), the way the bar's ETA reads. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const [h, m, r] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(r).padStart(2, '0')}`;
}

/**
 * A training progress display: in a terminal, a cli-progress bar over all steps with
 * ETA, current loss and dev weighted F1; elsewhere (CI logs, pipes) one line per epoch, ending with the ETA of the
 * remaining epochs at the mean epoch time so far (an upper bound when early stopping ends the run sooner).
 */
export function createTrainingProgress(label: string, epochs: number, options: TrainingProgressOptions = {}): TrainingProgress {
  const stream = options.stream ?? process.stderr;
  const plain = options.plain ?? !stream.isTTY;
  let bar: cliProgress.SingleBar | null = null;
  let dev = -1;
  let best = -1;
  let seconds = 0;
  let counted = 0;
  return {
    onStep(info) {
      if (plain) return;
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            stream,
            format: `${label} |{bar}| {percentage}% | epoch {epoch}/${epochs} | ETA {eta_formatted} | loss {loss} | dev wF1 {dev} (best {best})`,
            hideCursor: true,
            etaBuffer: 50,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(epochs * info.stepsPerEpoch, 0, { epoch: info.epoch, loss: '-', dev: '-', best: '-' });
      }
      bar.increment(1, { epoch: info.epoch, loss: fmt(info.loss), dev: fmt(dev), best: fmt(best) });
    },
    onEpochEnd(info) {
      dev = info.dev?.weightedF1 ?? -1;
      best = info.bestDevWeightedF1;
      if (plain) {
        seconds += info.seconds;
        counted += 1;
        const eta = formatDuration((seconds / counted) * Math.max(0, epochs - info.epoch));
        stream.write(`${label}: epoch ${info.epoch}/${epochs} loss ${fmt(info.loss)} dev wF1 ${fmt(dev)} best ${fmt(best)} (${info.seconds.toFixed(1)} s, ETA ${eta})\n`);
      } else {
        bar?.update({ epoch: info.epoch, loss: fmt(info.loss), dev: fmt(dev), best: fmt(best) });
      }
    },
    stop() {
      if (bar) {
        // An early stop leaves the bar short of its total; close it at 100% so the ETA reads 0.
        bar.update(bar.getTotal());
        bar.stop();
        bar = null;
      }
    },
  };
}

/** The callbacks of {@link createEnsembleProgress}, to spread into `trainEnsemble()` options. */
export interface EnsembleProgressCallbacks {
  onMemberStart(member: number, seed: number): void;
  onMemberEnd(): void;
  onStep(info: StepInfo): void;
  onEpochEnd(info: EpochInfo): void;
}

/** One progress display per model trained in turn: `callbacks` for `trainEnsemble()`, `stop()` to finish. */
export interface EnsembleTrainingProgress {
  readonly callbacks: EnsembleProgressCallbacks;
  stop(): void;
}

/**
 * One {@link createTrainingProgress} display per model trained in turn: labelled `<label> member k/n` when there are
 * several members, `<label>` for one. For a single `train()` call, call `callbacks.onMemberStart(0, seed)` first.
 */
export function createEnsembleProgress(label: string, epochs: number, members: number, options: TrainingProgressOptions = {}): EnsembleTrainingProgress {
  let current: TrainingProgress | undefined;
  const stop = () => {
    current?.stop();
    current = undefined;
  };
  return {
    callbacks: {
      onMemberStart(member) {
        stop();
        current = createTrainingProgress(members > 1 ? `${label} member ${member + 1}/${members}` : label, epochs, options);
      },
      onMemberEnd: stop,
      onStep: (info) => current?.onStep(info),
      onEpochEnd: (info) => current?.onEpochEnd(info),
    },
    stop,
  };
}
